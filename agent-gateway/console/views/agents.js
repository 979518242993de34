// Agents: GET /admin/agents, POST /admin/agents (the token is shown once, with a copy button
// and client snippets), DELETE /admin/agents/:id to revoke.
import { html, useEffect, useState } from '../lib/html.js';
import { api } from '../lib/api.js';
import { duration, localTime } from '../lib/text.js';
import { Badge, ErrorBox, Modal, Pre, Spinner, T, useNow } from './ui.js';

// The same client forms as docs/mcp.md (Streamable HTTP at /mcp with the bearer header).
export function mcpSnippet(origin, token) {
  return JSON.stringify({
    mcpServers: { palisade: { url: `${origin}/mcp`, headers: { Authorization: `Bearer ${token}` } } },
  }, null, 2);
}

export function claudeCodeSnippet(origin, token) {
  return `claude mcp add --transport http palisade ${origin}/mcp \\\n  --header "Authorization: Bearer ${token}"`;
}

export function restSnippet(origin, token) {
  return `curl -sS ${origin}/tools -H 'Authorization: Bearer ${token}'`;
}

function CopyButton({ text, label, id }) {
  const [done, setDone] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('Copied');
    } catch {
      setDone('Copy failed: select the text and copy it');
    }
    setTimeout(() => setDone(''), 2500);
  };
  return html`<span class="copy"><button type="button" class="btn btn-small" id=${id} onClick=${copy}>${label}</button>${done && html`<span class="muted small" role="status">${done}</span>`}</span>`;
}

function IssuedToken({ issued, onDone }) {
  const origin = window.location.origin;
  return html`<div class="issued" id="issued-token" role="region" aria-label="New agent token">
    <p><strong>Token for <${T} mono>${issued.agent_id}<//></strong> — expires ${localTime(issued.expires_at)}.
      This is the only time it is shown; store it in the agent's configuration now.</p>
    <div class="token-row"><code class="token" id="issued-token-value">${issued.token}</code>
      <${CopyButton} text=${issued.token} label="Copy token" id="copy-token" /></div>
    <h4 class="sub">MCP client (Streamable HTTP) — <span class="muted">Cursor <code>mcp.json</code> and similar clients; more in docs/mcp.md</span></h4>
    <${Pre} label="MCP client configuration">${mcpSnippet(origin, issued.token)}<//>
    <${CopyButton} text=${mcpSnippet(origin, issued.token)} label="Copy MCP snippet" id="copy-mcp" />
    <h4 class="sub">Claude Code</h4>
    <${Pre} label="Claude Code command">${claudeCodeSnippet(origin, issued.token)}<//>
    <${CopyButton} text=${claudeCodeSnippet(origin, issued.token)} label="Copy command" id="copy-claude" />
    <h4 class="sub">REST</h4>
    <${Pre} label="curl example">${restSnippet(origin, issued.token)}<//>
    <div class="modal-actions"><button type="button" class="btn btn-primary" onClick=${onDone}>I have stored the token</button></div>
  </div>`;
}

function IssueForm({ tools, onIssued }) {
  const [id, setId] = useState('');
  const [scope, setScope] = useState('');
  const [ttl, setTtl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const list = scope.split(/[\s,]+/).filter((x) => x !== '');
    const body = { agent_id: id, tools: [...new Set(list)], ...(ttl.trim() === '' ? {} : { ttl_seconds: Number(ttl) }) };
    try {
      const r = await api('POST', '/admin/agents', body);
      setId('');
      setScope('');
      setTtl('');
      onIssued(r.body);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const add = (name) => {
    const list = scope.split(/[\s,]+/).filter((x) => x !== '');
    if (!list.includes(name)) setScope([...list, name].join(', '));
  };
  return html`<form class="issue-form" onSubmit=${submit} aria-label="Issue an agent token">
    <div class="form-grid">
      <div class="field"><label for="agent-id">Agent id</label>
        <input id="agent-id" value=${id} maxlength="64" required aria-describedby="agent-id-hint" autocomplete="off" spellcheck="false"
          onInput=${(e) => setId(e.currentTarget.value)} />
        <div class="hint" id="agent-id-hint">Lowercase letters, digits and <code>_ . -</code>; up to 64 characters.</div></div>
      <div class="field"><label for="agent-tools">Tools (names or globs)</label>
        <input id="agent-tools" value=${scope} placeholder="echo, json.*" required onInput=${(e) => setScope(e.currentTarget.value)} aria-describedby="agent-tools-hint" />
        <div class="hint" id="agent-tools-hint">${tools.length > 0 && html`Add: ${tools.map((t) => html`<button type="button" class="chip chip-btn" onClick=${() => add(t.name)}>${t.name}</button>`)}`}</div></div>
      <div class="field field-narrow"><label for="agent-ttl">Lifetime (s)</label>
        <input id="agent-ttl" type="number" min="60" step="60" value=${ttl} placeholder="default" onInput=${(e) => setTtl(e.currentTarget.value)} /></div>
    </div>
    <${ErrorBox} error=${error} title="The token was not issued" />
    <button type="submit" class="btn btn-primary" id="issue-btn" disabled=${busy || id === '' || scope.trim() === ''}>${busy ? 'Issuing…' : 'Issue token'}</button>
  </form>`;
}

export function Agents() {
  const [agents, setAgents] = useState(null);
  const [tools, setTools] = useState([]);
  const [error, setError] = useState(null);
  const [issued, setIssued] = useState(null);
  const [revoking, setRevoking] = useState(null);
  const [busy, setBusy] = useState(false);
  const now = useNow(30_000);
  const load = () => api('GET', '/admin/agents').then((r) => setAgents(r.body.agents)).catch((e) => setError(e));
  useEffect(() => {
    void load();
    api('GET', '/tools').then((r) => setTools(r.body.tools)).catch(() => setTools([]));
  }, []);
  const revoke = async () => {
    setBusy(true);
    try {
      await api('DELETE', `/admin/agents/${encodeURIComponent(revoking)}`);
      setRevoking(null);
      await load();
    } catch (e) {
      setError(e);
      setRevoking(null);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="view" id="view-agents">
    <div class="view-head"><h1>Agents</h1></div>
    <section class="panel" aria-labelledby="issue-title">
      <header class="panel-head"><h2 id="issue-title">Issue a token</h2></header>
      <div class="panel-body">
        ${issued ? html`<${IssuedToken} issued=${issued} onDone=${() => setIssued(null)} />`
          : html`<${IssueForm} tools=${tools} onIssued=${(b) => { setIssued(b); void load(); }} />`}
      </div>
    </section>
    <${ErrorBox} error=${error} />
    <div class="table-wrap">
      <table class="table" id="agents-table">
        <thead><tr><th scope="col">Agent</th><th scope="col">Tools</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          ${agents === null && html`<tr><td colspan="5"><${Spinner} /></td></tr>`}
          ${agents !== null && agents.length === 0 && html`<tr><td colspan="5" class="muted">No agents yet. Issue a token above.</td></tr>`}
          ${(agents ?? []).map((a) => {
            const left = Date.parse(a.expires_at) - now;
            return html`<tr key=${a.agent_id} data-agent=${a.agent_id}>
              <td><${T} mono>${a.agent_id}<//></td>
              <td><div class="chips">${a.tools.map((t) => html`<span class="chip"><${T} mono>${t}<//></span>`)}</div></td>
              <td class="nowrap">${localTime(a.created_at)}<div class="muted small">by <${T} mono>${a.created_by}<//></div></td>
              <td class="nowrap">${left > 0 ? html`in ${duration(left)}` : html`<${Badge} kind="danger">expired<//>`}<div class="muted small">${localTime(a.expires_at)}</div></td>
              <td class="actions"><button type="button" class="btn btn-small btn-danger-outline" aria-label=${`Revoke ${a.agent_id}`} onClick=${() => setRevoking(a.agent_id)}>Revoke</button></td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    <${Modal} open=${revoking !== null} title="Revoke agent" onClose=${() => setRevoking(null)}>
      <p>Revoke <strong><${T} mono>${revoking}<//></strong>? Its token stops working at once; the id can be issued again.</p>
      <div class="modal-actions">
        <button type="button" class="btn" onClick=${() => setRevoking(null)}>Cancel</button>
        <button type="button" class="btn btn-danger" id="revoke-confirm" disabled=${busy} onClick=${() => void revoke()}>Revoke</button>
      </div>
    <//>
  </div>`;
}
