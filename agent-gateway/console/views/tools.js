// Tools from GET /tools: risk, backend, approval need, annotations and the input schema.
import { html, useEffect, useState } from '../lib/html.js';
import { api } from '../lib/api.js';
import { pretty } from '../lib/text.js';
import { Badge, ErrorBox, Pre, RiskBadge, Spinner, T } from './ui.js';

function Annotations({ value }) {
  if (value === null || typeof value !== 'object') return html`<span class="muted">—</span>`;
  const keys = Object.keys(value);
  if (keys.length === 0) return html`<span class="muted">—</span>`;
  return html`<div class="chips">${keys.map((k) => html`<span class="chip"><${T} mono>${`${k}: ${typeof value[k] === 'string' ? value[k] : JSON.stringify(value[k])}`}<//></span>`)}</div>`;
}

export function Tools() {
  const [tools, setTools] = useState(null);
  const [error, setError] = useState(null);
  const [open, setOpen] = useState({});
  useEffect(() => {
    api('GET', '/tools').then((r) => setTools(r.body.tools)).catch((e) => setError(e));
  }, []);
  return html`<div class="view" id="view-tools">
    <div class="view-head"><h1>Tools</h1></div>
    <${ErrorBox} error=${error} />
    <div class="table-wrap">
      <table class="table" id="tools-table">
        <thead><tr><th scope="col">Tool</th><th scope="col">Risk</th><th scope="col">Approval</th><th scope="col">Backend</th><th scope="col">Annotations</th><th scope="col"><span class="sr-only">Schema</span></th></tr></thead>
        <tbody>
          ${tools === null && !error && html`<tr><td colspan="6"><${Spinner} /></td></tr>`}
          ${(tools ?? []).map((t) => [
            html`<tr key=${t.name}>
              <td><div><${T} mono>${t.name}<//></div><div class="muted small"><${T}>${t.description}<//></div></td>
              <td><${RiskBadge} risk=${t.risk} /></td>
              <td>${t.requires_approval ? html`<${Badge} kind="warn">required<//>` : html`<span class="muted">by policy</span>`}</td>
              <td class="mono">${String(t.backend)}</td>
              <td><${Annotations} value=${t.annotations} /></td>
              <td class="actions"><button type="button" class="btn btn-small" aria-expanded=${open[t.name] ? 'true' : 'false'}
                onClick=${() => setOpen({ ...open, [t.name]: !open[t.name] })}>${open[t.name] ? 'Hide schema' : 'Schema'}</button></td>
            </tr>`,
            open[t.name] && html`<tr key=${`${t.name}-schema`} class="detail-row"><td colspan="6"><${Pre} label=${`input schema of ${t.name}`}>${pretty(t.input_schema)}<//></td></tr>`,
          ])}
        </tbody>
      </table>
    </div>
    <p class="hint">An explicit policy rule decides first; with no matching rule a tool that requires approval (or has high risk) waits in the queue, others run.</p>
  </div>`;
}
