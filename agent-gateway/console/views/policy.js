// The policy document: GET /admin/policy, edited as JSON and saved with PUT /admin/policy;
// a 422 lists every validation error next to the editor.
import { html, useEffect, useState } from '../lib/html.js';
import { api } from '../lib/api.js';
import { localTime, visible } from '../lib/text.js';
import { Badge, ErrorBox, Spinner, T } from './ui.js';

const EXAMPLE = { rules: [{ id: 'deny-eval-for-ci', effect: 'deny', agents: ['ci-*'], tools: ['js.eval'] }] };

function effectKind(e) {
  return e === 'allow' ? 'ok' : e === 'deny' ? 'danger' : 'warn';
}

export function Policy() {
  const [doc, setDoc] = useState(null);
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const [parseError, setParseError] = useState('');
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);
  const load = () => api('GET', '/admin/policy').then((r) => {
    setDoc(r.body);
    setText(JSON.stringify({ rules: r.body.rules }, null, 2));
  }).catch((e) => setError(e));
  useEffect(() => {
    void load();
  }, []);
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved('');
    setParseError('');
    let body;
    try {
      body = JSON.parse(text);
    } catch (err) {
      setParseError(`Not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    setBusy(true);
    try {
      const r = await api('PUT', '/admin/policy', body);
      setSaved(`Saved as version ${r.body.version}.`);
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="view" id="view-policy">
    <div class="view-head"><h1>Policy</h1>
      ${doc && html`<span class="muted">version ${doc.version}${doc.actor ? html` · <${T} mono>${doc.actor}<//>` : ''}${doc.updated_at ? ` · ${localTime(doc.updated_at)}` : ''}</span>`}</div>
    ${doc === null && !error && html`<${Spinner} />`}
    ${doc && html`<div class="table-wrap"><table class="table" id="rules-table">
      <thead><tr><th scope="col">#</th><th scope="col">Rule</th><th scope="col">Effect</th><th scope="col">Agents</th><th scope="col">Tools</th><th scope="col">When</th></tr></thead>
      <tbody>
        ${doc.rules.length === 0 && html`<tr><td colspan="6" class="muted">No rules: every tool follows its manifest (approval when required or high risk, else allow).</td></tr>`}
        ${doc.rules.map((r, i) => html`<tr key=${r.id}>
          <td class="mono">${i + 1}</td><td><${T} mono>${r.id}<//></td><td><${Badge} kind=${effectKind(r.effect)}>${r.effect}<//></td>
          <td><div class="chips">${r.agents.map((a) => html`<span class="chip"><${T} mono>${a}<//></span>`)}</div></td>
          <td><div class="chips">${r.tools.map((t) => html`<span class="chip"><${T} mono>${t}<//></span>`)}</div></td>
          <td class="mono small">${r.when ? visible(JSON.stringify(r.when)) : '—'}</td>
        </tr>`)}
      </tbody></table></div>`}
    <form class="editor" onSubmit=${save} aria-label="Edit the policy document">
      <div class="field">
        <label for="policy-text">Policy document (JSON)</label>
        <textarea id="policy-text" class="code-input" rows="16" spellcheck="false" value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
        <div class="hint">First matching rule wins. Example: <code>${JSON.stringify(EXAMPLE)}</code></div>
      </div>
      ${parseError && html`<div class="alert alert-error" role="alert">${parseError}</div>`}
      <${ErrorBox} error=${error} title="The policy was not saved" />
      ${saved && html`<div class="alert alert-ok" role="status">${saved}</div>`}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" id="policy-save" disabled=${busy}>${busy ? 'Saving…' : 'Validate and save'}</button>
        <button type="button" class="btn" onClick=${() => { setError(null); setParseError(''); void load(); }}>Revert</button>
      </div>
    </form>
  </div>`;
}
