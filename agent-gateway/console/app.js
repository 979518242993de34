// Palisade operator console: one page, plain ES modules, preact + htm served by the gateway.
import { html, render, useEffect, useState } from './lib/html.js';
import { currentUser, logout, onSessionChange } from './lib/api.js';
import { Agents } from './views/agents.js';
import { Approvals, useApprovalFeed } from './views/approvals.js';
import { Audit } from './views/audit.js';
import { Counters, Health, useCounters } from './views/health.js';
import { KillSwitch, useKillSwitch } from './views/killswitch.js';
import { Login } from './views/login.js';
import { Policy } from './views/policy.js';
import { Settings } from './views/settings.js';
import { Tools } from './views/tools.js';

const ROUTES = [
  ['approvals', 'Approvals'],
  ['audit', 'Audit log'],
  ['agents', 'Agents'],
  ['tools', 'Tools'],
  ['policy', 'Policy'],
  ['settings', 'Alerts & settings'],
  ['health', 'Health'],
];

function routeFromHash() {
  const name = window.location.hash.replace(/^#\/?/, '');
  return ROUTES.some(([r]) => r === name) ? name : 'approvals';
}

function useRoute() {
  const [route, setRoute] = useState(routeFromHash());
  useEffect(() => {
    const on = () => setRoute(routeFromHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

function Shell({ user }) {
  const route = useRoute();
  const feed = useApprovalFeed();
  const kill = useKillSwitch();
  const counters = useCounters();
  const [leaving, setLeaving] = useState(false);
  const n = feed.pending.length;
  const label = ROUTES.find(([r]) => r === route)?.[1] ?? 'Approvals';
  useEffect(() => {
    document.title = `${n > 0 ? `(${n}) ` : ''}${label} · Palisade console`;
  }, [n, label]);
  const out = async () => {
    setLeaving(true);
    await logout();
  };
  let view;
  switch (route) {
    case 'audit': view = html`<${Audit} />`; break;
    case 'agents': view = html`<${Agents} />`; break;
    case 'tools': view = html`<${Tools} />`; break;
    case 'policy': view = html`<${Policy} />`; break;
    case 'settings': view = html`<${Settings} />`; break;
    case 'health': view = html`<${Health} counters=${counters} pending=${n} />`; break;
    default: view = html`<${Approvals} feed=${feed} kill=${kill.state} />`;
  }
  return html`<div class=${`shell ${kill.state && kill.state.active ? 'is-killed' : ''}`}>
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="topbar">
      <div class="brand"><span class="brand-mark" aria-hidden="true"></span>Palisade<span class="brand-sub">console</span></div>
      <${KillSwitch} kill=${kill} />
      <div class="topbar-right">
        <${Counters} counters=${counters} pending=${n} />
        <span class="user" title="Signed in">${user}</span>
        <button type="button" class="btn btn-ghost" id="logout" onClick=${out} disabled=${leaving}>Log out</button>
      </div>
    </header>
    <div class="layout">
      <nav class="sidenav" aria-label="Sections">
        <ul>${ROUTES.map(([r, text]) => html`<li><a href=${`#/${r}`} class=${r === route ? 'active' : ''} aria-current=${r === route ? 'page' : undefined} id=${`nav-${r}`}>
          ${text}${r === 'approvals' && n > 0 && html` <span class="nav-count" aria-label=${`${n} pending`}>${n}</span>`}</a></li>`)}</ul>
      </nav>
      <main id="main" tabindex="-1">${view}</main>
    </div>
  </div>`;
}

function App() {
  const [user, setUser] = useState(currentUser());
  const [notice, setNotice] = useState('');
  useEffect(() => onSessionChange((u, reason) => {
    setUser(u);
    if (reason === 'expired') setNotice('Your session has ended. Sign in again.');
    else if (reason === 'logout') setNotice('Signed out. The session was revoked on the gateway.');
    else if (reason === 'logout-unrevoked') setNotice('Signed out of this page, but the gateway did not confirm the revoke: the token stays valid until it expires.');
    else setNotice('');
  }), []);
  return user ? html`<${Shell} user=${user} />` : html`<${Login} notice=${notice} />`;
}

render(html`<${App} />`, document.getElementById('app'));
