// The audit log: GET /admin/audit with since/until/event/actor filters, paged forward with
// after_seq (previous pages by remembered cursors), rows expandable, CSV/JSON export of the
// current filter, and GET /admin/audit/verify for the chain and the last signed checkpoint.
import { html, useEffect, useState } from '../lib/html.js';
import { api, download } from '../lib/api.js';
import { compact, localTime, pretty } from '../lib/text.js';
import { Badge, ErrorBox, Pre, Spinner, T } from './ui.js';

const EVENTS = ['approval', 'approval.approve', 'approval.reject', 'tool.call', 'tool.result', 'auth', 'auth.login', 'killswitch', 'policy.update', 'agent', 'config', 'privacy'];

function isoFromLocal(v) {
  if (v === '') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function auditQuery(filter, extra = {}) {
  const q = new URLSearchParams();
  const since = isoFromLocal(filter.since);
  const until = isoFromLocal(filter.until);
  if (since) q.set('since', since);
  if (until) q.set('until', until);
  if (filter.event.trim() !== '') q.set('event', filter.event.trim());
  if (filter.actor.trim() !== '') q.set('actor', filter.actor.trim());
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  return q.toString();
}

const EMPTY = { since: '', until: '', event: '', actor: '' };

function outcomeKind(o) {
  return o === 'ok' ? 'ok' : o === 'denied' ? 'danger' : o === 'pending' ? 'warn' : o === 'error' ? 'danger' : 'neutral';
}

function Verify() {
  const [state, setState] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setState((await api('GET', '/admin/audit/verify')).body);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const cp = state && state.last_checkpoint;
  return html`<div class="verify" id="audit-verify">
    <button type="button" class="btn" id="verify-btn" onClick=${run} disabled=${busy}>${busy ? 'Verifying…' : 'Verify chain'}</button>
    ${busy && html`<${Spinner} label="Checking every line and signature…" />`}
    ${state && html`<div class=${`verify-result ${state.ok ? 'verify-ok' : 'verify-bad'}`} role="status" id="verify-result">
      ${state.ok
        ? html`<strong>ok</strong> — ${state.entries} entries chained and authentic.`
        : html`<strong>FAILED</strong> — first bad seq <span class="mono">${state.first_bad_seq ?? '—'}</span>: <${T}>${state.message ?? state.reason}<//>`}
      <span class="muted"> Last signed checkpoint: ${cp ? html`seq <span class="mono">${cp.seq}</span> at ${localTime(cp.ts)}` : 'none yet'}.</span>
    </div>`}
    <${ErrorBox} error=${error} />
  </div>`;
}

export function Audit() {
  const [draft, setDraft] = useState(EMPTY);
  const [filter, setFilter] = useState(EMPTY);
  const [limit, setLimit] = useState(50);
  const [cursors, setCursors] = useState([0]);
  const [entries, setEntries] = useState(null);
  const [open, setOpen] = useState({});
  const [error, setError] = useState(null);
  const [exporting, setExporting] = useState('');
  const after = cursors[cursors.length - 1];

  useEffect(() => {
    let gone = false;
    setError(null);
    api('GET', `/admin/audit?${auditQuery(filter, { after_seq: after, limit })}`)
      .then((r) => !gone && setEntries(r.body.entries))
      .catch((e) => !gone && (setError(e), setEntries([])));
    return () => {
      gone = true;
    };
  }, [filter, after, limit]);

  const apply = (e) => {
    e.preventDefault();
    setFilter({ ...draft });
    setCursors([0]);
    setOpen({});
  };
  const reset = () => {
    setDraft(EMPTY);
    setFilter(EMPTY);
    setCursors([0]);
    setOpen({});
  };
  const unfiltered = filter.since === '' && filter.until === '' && filter.event === '' && filter.actor === '';
  const toEnd = async () => {
    try {
      const v = (await api('GET', '/admin/audit/verify')).body;
      setCursors([0, Math.max(0, Number(v.entries) - limit)]);
    } catch (e) {
      setError(e);
    }
  };
  const exportAs = async (format) => {
    setExporting(format);
    try {
      const res = await download(`/admin/audit?${auditQuery(filter, { limit: 10000, format })}`);
      const blob = format === 'csv' ? await res.blob() : new Blob([JSON.stringify((await res.json()).entries, null, 2)], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `palisade-audit.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e);
    } finally {
      setExporting('');
    }
  };
  const set = (k) => (e) => setDraft({ ...draft, [k]: e.currentTarget.value });
  const page = cursors.length;
  const rows = entries ?? [];
  return html`<div class="view" id="view-audit">
    <div class="view-head"><h1>Audit log</h1><${Verify} /></div>
    <form class="filters" onSubmit=${apply} aria-label="Audit filters">
      <div class="field"><label for="f-since">From</label><input id="f-since" type="datetime-local" step="1" value=${draft.since} onInput=${set('since')} /></div>
      <div class="field"><label for="f-until">To</label><input id="f-until" type="datetime-local" step="1" value=${draft.until} onInput=${set('until')} /></div>
      <div class="field"><label for="f-event">Event</label><input id="f-event" list="audit-events" placeholder="e.g. approval" maxlength="128" value=${draft.event} onInput=${set('event')} />
        <datalist id="audit-events">${EVENTS.map((e) => html`<option value=${e}></option>`)}</datalist></div>
      <div class="field"><label for="f-actor">Actor</label><input id="f-actor" placeholder="e.g. admin:admin" maxlength="256" value=${draft.actor} onInput=${set('actor')} /></div>
      <div class="filter-buttons">
        <button type="submit" class="btn btn-primary" id="audit-apply">Apply</button>
        <button type="button" class="btn" onClick=${reset}>Reset</button>
      </div>
    </form>
    <${ErrorBox} error=${error} />
    <div class="table-bar">
      <div class="pager" role="group" aria-label="Pages">
        <button type="button" class="btn btn-small" disabled=${page === 1} onClick=${() => setCursors([0])}>First</button>
        <button type="button" class="btn btn-small" disabled=${page === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous</button>
        <span class="muted">Page ${page}</span>
        <button type="button" class="btn btn-small" id="audit-next" disabled=${rows.length < limit}
          onClick=${() => setCursors([...cursors, rows[rows.length - 1].seq])}>Next</button>
        <button type="button" class="btn btn-small" disabled=${!unfiltered} title=${unfiltered ? undefined : 'Clear the filters to jump to the end'} onClick=${toEnd}>Latest</button>
        <label class="inline"><span>Rows</span>
          <select value=${String(limit)} onChange=${(e) => { setLimit(Number(e.currentTarget.value)); setCursors([0]); }}>
            ${[25, 50, 100, 200].map((n) => html`<option value=${String(n)}>${n}</option>`)}
          </select></label>
      </div>
      <div class="exports">
        <button type="button" class="btn btn-small" id="export-csv" disabled=${exporting !== ''} onClick=${() => void exportAs('csv')}>Export CSV</button>
        <button type="button" class="btn btn-small" id="export-json" disabled=${exporting !== ''} onClick=${() => void exportAs('json')}>Export JSON</button>
      </div>
    </div>
    <div class="table-wrap">
      <table class="table audit-table" id="audit-table">
        <thead><tr><th scope="col"><span class="sr-only">Expand</span></th><th scope="col">Seq</th><th scope="col">Time <span class="muted small">(local)</span></th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">Outcome</th><th scope="col">Details</th></tr></thead>
        <tbody>
          ${entries === null && html`<tr><td colspan="7"><${Spinner} /></td></tr>`}
          ${entries !== null && rows.length === 0 && html`<tr><td colspan="7" class="muted">No entries match.</td></tr>`}
          ${rows.map((e) => {
            const expanded = open[e.seq] === true;
            return [
              html`<tr key=${`r${e.seq}`} class=${expanded ? 'expanded' : ''} data-seq=${String(e.seq)}>
                <td><button type="button" class="btn-icon" aria-expanded=${expanded ? 'true' : 'false'} aria-label=${`Details of entry ${e.seq}`}
                  onClick=${() => setOpen({ ...open, [e.seq]: !expanded })}>${expanded ? '▾' : '▸'}</button></td>
                <td class="mono">${e.seq}</td>
                <td class="nowrap">${localTime(e.ts)}</td>
                <td><${T} mono>${e.type}<//></td>
                <td><${T} mono>${e.actor}<//></td>
                <td><${Badge} kind=${outcomeKind(e.outcome)}>${String(e.outcome)}<//></td>
                <td class="details-cell"><span class="mono small">${compact(e.data ?? {}, 140)}</span></td>
              </tr>`,
              expanded && html`<tr key=${`d${e.seq}`} class="detail-row"><td colspan="7"><${Pre} label=${`audit entry ${e.seq}`}>${pretty(e)}<//></td></tr>`,
            ];
          })}
        </tbody>
      </table>
    </div>
  </div>`;
}
