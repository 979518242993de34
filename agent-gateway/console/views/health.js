// Backend health from GET /health/ready and live counters from GET /metrics (admin token).
import { html, useState } from '../lib/html.js';
import { api, publicJson } from '../lib/api.js';
import { parseMetrics, sum } from '../lib/metrics.js';
import { Badge, ErrorBox, Spinner, T, usePoll } from './ui.js';

const DENIED = ['denied', 'kill_switch', 'paused', 'rate_limited', 'invalid'];

export function countersFrom(text) {
  const s = parseMetrics(text);
  return {
    calls: sum(s, 'palisade_tool_calls_total'),
    ok: sum(s, 'palisade_tool_calls_total', { outcome: 'ok' }),
    denied: sum(s, 'palisade_tool_calls_total', { outcome: DENIED }),
    errors: sum(s, 'palisade_tool_calls_total', { outcome: ['error', 'unavailable'] }),
    pending: sum(s, 'palisade_approvals_pending'),
  };
}

export function useCounters() {
  const [counters, setCounters] = useState(null);
  usePoll(async () => {
    try {
      setCounters(countersFrom((await api('GET', '/metrics')).body));
    } catch {
      setCounters(null);
    }
  }, 5_000);
  return counters;
}

export function Counters({ counters, pending }) {
  const c = counters;
  const item = (label, value, kind, id) => html`<div class=${`counter counter-${kind}`} id=${id}><span class="counter-value">${value}</span><span class="counter-label">${label}</span></div>`;
  return html`<div class="counters" aria-label="Live counters">
    ${item('tool calls', c ? c.calls : '–', 'neutral', 'counter-calls')}
    ${item('denied', c ? c.denied : '–', 'danger', 'counter-denied')}
    ${item('errors', c ? c.errors : '–', 'warn', 'counter-errors')}
    ${item('pending', pending, 'accent', 'counter-pending')}
  </div>`;
}

function Backend({ name, value }) {
  if (value === 'disabled') return html`<tr><td class="mono">${name}</td><td><${Badge}>disabled<//></td><td class="muted">not configured</td></tr>`;
  return html`<tr><td class="mono">${name}</td><td><${Badge} kind=${value.healthy ? 'ok' : 'danger'}>${value.healthy ? 'healthy' : 'unhealthy'}<//></td>
    <td>${value.detail ? html`<${T}>${value.detail}<//>` : html`<span class="muted">—</span>`}</td></tr>`;
}

export function Health({ counters, pending }) {
  const [ready, setReady] = useState(null);
  const [error, setError] = useState(null);
  usePoll(async () => {
    try {
      setReady((await publicJson('/health/ready')).body);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, 5_000);
  return html`<div class="view" id="view-health">
    <div class="view-head"><h1>Health</h1>
      ${ready && html`<${Badge} kind=${ready.status === 'ok' ? 'ok' : 'danger'}>${ready.status === 'ok' ? 'ready' : String(ready.status)}<//>`}</div>
    <${Counters} counters=${counters} pending=${pending} />
    <${ErrorBox} error=${error} />
    <section class="panel" aria-labelledby="backends-title"><header class="panel-head"><h2 id="backends-title">Sandbox backends</h2></header>
      <div class="panel-body">
        ${ready === null ? html`<${Spinner} />` : html`<table class="table"><thead><tr><th scope="col">Backend</th><th scope="col">State</th><th scope="col">Detail</th></tr></thead>
          <tbody>${Object.entries(ready.backends ?? {}).map(([k, v]) => html`<${Backend} key=${k} name=${k} value=${v} />`)}</tbody></table>`}
      </div></section>
    <p class="hint">Counters come from <code>/metrics</code> (since the gateway started) and refresh every 5 s.</p>
  </div>`;
}
