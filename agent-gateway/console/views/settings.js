// Alert thresholds and webhooks (GET/PUT /admin/alerts/config) and the approval timeout
// (GET/PUT /admin/approvals/config). 422 errors are listed inline.
import { html, useEffect, useState } from '../lib/html.js';
import { api } from '../lib/api.js';
import { ErrorBox, Spinner, T } from './ui.js';

const NUMBERS = [
  ['validation_error_threshold', 'Validation errors per window', 1, 1_000_000],
  ['window_seconds', 'Window (s)', 10, 3600],
  ['worker_check_interval_seconds', 'Worker check interval (s)', 5, 3600],
  ['approval_queue_threshold', 'Approval queue alert at', 1, 100_000],
];

function Alerts() {
  const [view, setView] = useState(null);
  const [form, setForm] = useState(null);
  const [hooks, setHooks] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);
  const adopt = (v) => {
    setView(v);
    setForm(Object.fromEntries(NUMBERS.map(([k]) => [k, String(v[k])])));
    setHooks(null);
  };
  useEffect(() => {
    api('GET', '/admin/alerts/config').then((r) => adopt(r.body)).catch((e) => setError(e));
  }, []);
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved('');
    const patch = Object.fromEntries(NUMBERS.map(([k]) => [k, Number(form[k])]));
    if (hooks !== null) patch.webhooks = hooks.filter((h) => h.url.trim() !== '').map((h) => (h.secret === '' ? { url: h.url.trim() } : { url: h.url.trim(), secret: h.secret }));
    try {
      adopt((await api('PUT', '/admin/alerts/config', patch)).body);
      setSaved('Alert settings saved.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (view === null || form === null) return error ? html`<${ErrorBox} error=${error} />` : html`<${Spinner} />`;
  const editHooks = () => setHooks(view.webhooks.map((w) => ({ url: w.url, secret: '' })));
  return html`<form onSubmit=${save} aria-label="Alert settings" id="alerts-form">
    <div class="form-grid">
      ${NUMBERS.map(([k, label, min, max]) => html`<div class="field"><label for=${`a-${k}`}>${label}</label>
        <input id=${`a-${k}`} type="number" min=${min} max=${max} step="1" value=${form[k]} onInput=${(e) => setForm({ ...form, [k]: e.currentTarget.value })} /></div>`)}
    </div>
    <h3 class="sub">Webhooks</h3>
    ${hooks === null
      ? html`<ul class="plain-list">${view.webhooks.length === 0 ? html`<li class="muted">No webhooks: alerts are only logged and counted.</li>`
          : view.webhooks.map((w) => html`<li><${T} mono>${w.url}<//> ${w.has_secret ? html`<span class="muted small">(signed)</span>` : ''}</li>`)}</ul>
        <button type="button" class="btn btn-small" onClick=${editHooks}>Edit webhooks…</button>`
      : html`<p class="hint">Secrets are never shown; re-enter a secret (16+ characters) for each webhook that should stay signed.</p>
        ${hooks.map((h, i) => html`<div class="form-grid hook-row">
          <div class="field"><label for=${`hook-url-${i}`}>URL</label><input id=${`hook-url-${i}`} value=${h.url} maxlength="2048" placeholder="https://alerts.example/hook"
            onInput=${(e) => setHooks(hooks.map((x, j) => (j === i ? { ...x, url: e.currentTarget.value } : x)))} /></div>
          <div class="field"><label for=${`hook-secret-${i}`}>Secret</label><input id=${`hook-secret-${i}`} type="password" value=${h.secret} maxlength="256" autocomplete="off"
            onInput=${(e) => setHooks(hooks.map((x, j) => (j === i ? { ...x, secret: e.currentTarget.value } : x)))} /></div>
          <button type="button" class="btn btn-small" aria-label=${`Remove webhook ${i + 1}`} onClick=${() => setHooks(hooks.filter((_, j) => j !== i))}>Remove</button>
        </div>`)}
        <div class="form-actions"><button type="button" class="btn btn-small" disabled=${hooks.length >= 10} onClick=${() => setHooks([...hooks, { url: '', secret: '' }])}>Add webhook</button>
          <button type="button" class="btn btn-small" onClick=${() => setHooks(null)}>Keep current webhooks</button></div>`}
    <${ErrorBox} error=${error} title="The alert settings were not saved" />
    ${saved && html`<div class="alert alert-ok" role="status">${saved}</div>`}
    <div class="form-actions"><button type="submit" class="btn btn-primary" disabled=${busy}>${busy ? 'Saving…' : 'Save alert settings'}</button></div>
  </form>`;
}

function ApprovalTimeout() {
  const [value, setValue] = useState('');
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState('');
  useEffect(() => {
    api('GET', '/admin/approvals/config').then((r) => setValue(String(r.body.timeout_seconds))).catch((e) => setError(e));
  }, []);
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved('');
    try {
      const r = await api('PUT', '/admin/approvals/config', { timeout_seconds: Number(value) });
      setValue(String(r.body.timeout_seconds));
      setSaved('Saved; applies to new requests.');
    } catch (err) {
      setError(err);
    }
  };
  return html`<form onSubmit=${save} aria-label="Approval timeout" class="inline-form">
    <div class="field"><label for="approval-timeout">Approval timeout (s)</label>
      <input id="approval-timeout" type="number" min="10" max="86400" step="1" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} /></div>
    <button type="submit" class="btn btn-primary">Save</button>
    ${saved && html`<span class="muted" role="status">${saved}</span>`}
    <${ErrorBox} error=${error} />
  </form>`;
}

export function Settings() {
  return html`<div class="view" id="view-settings">
    <div class="view-head"><h1>Alerts & settings</h1></div>
    <section class="panel" aria-labelledby="alerts-title"><header class="panel-head"><h2 id="alerts-title">Alerts</h2></header>
      <div class="panel-body"><${Alerts} /></div></section>
    <section class="panel" aria-labelledby="approvals-cfg-title"><header class="panel-head"><h2 id="approvals-cfg-title">Approval queue</h2></header>
      <div class="panel-body"><${ApprovalTimeout} /></div></section>
  </div>`;
}
