// The approval queue: live through GET /approvals/stream (fetch + stream reader, reconnects
// with backoff and re-reads the snapshot), decided through POST /approvals/:id/approve|reject.
// An approve answered 202 (the tool is still running) is followed on GET /tools/calls/:id.
import { html, useEffect, useRef, useState } from '../lib/html.js';
import { api, ApiError, stream } from '../lib/api.js';
import { clock, duration, localTime, pretty, visible } from '../lib/text.js';
import { Badge, ErrorBox, Notice, Pre, RiskBadge, Spinner, T, useNow } from './ui.js';

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => {
    clearTimeout(t);
    resolve();
  }, { once: true });
});

const byCreated = (a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0);

/** The live pending queue plus the items that left it during this session (newest first). */
export function useApprovalFeed() {
  const [pending, setPending] = useState([]);
  const [closed, setClosed] = useState([]);
  const [status, setStatus] = useState('connecting');
  useEffect(() => {
    const ctl = new AbortController();
    const items = new Map();
    const publish = () => setPending([...items.values()].sort(byCreated));
    const close = (item) => setClosed((list) => [item, ...list.filter((x) => x.id !== item.id)].slice(0, 25));
    const onEvent = (ev) => {
      if (ev.event === 'error') throw new Error('stream refused');
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (ev.event === 'snapshot' && msg && Array.isArray(msg.items)) {
        items.clear();
        for (const it of msg.items) if (it && it.status === 'pending') items.set(it.id, it);
        setStatus('live');
        publish();
        return;
      }
      const item = msg && msg.item;
      if (!item || typeof item.id !== 'string') return;
      if (item.status === 'pending') items.set(item.id, item);
      else {
        items.delete(item.id);
        close(item);
      }
      publish();
    };
    void (async () => {
      let attempt = 0;
      while (!ctl.signal.aborted) {
        try {
          await stream('/approvals/stream', { signal: ctl.signal, onEvent, onOpen: () => (attempt = 0) });
        } catch (error) {
          if (ctl.signal.aborted) return;
          if (error instanceof ApiError && error.status === 401) return; // the session ended
        }
        if (ctl.signal.aborted) return;
        setStatus('reconnecting');
        attempt += 1;
        await sleep(Math.min(10_000, 250 * 2 ** Math.min(attempt, 6)), ctl.signal);
      }
    })();
    return () => ctl.abort();
  }, []);
  return { pending, closed, status };
}

/** The top-level keys of the (redacted) args, strings shown verbatim in their own block. */
function Args({ args }) {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return html`<${Pre} label="arguments">${pretty(args)}<//>`;
  const keys = Object.keys(args);
  if (keys.length === 0) return html`<p class="muted">No arguments.</p>`;
  return html`<dl class="args">
    ${keys.map((k) => html`<div class="arg">
      <dt><${T} mono>${k}<//></dt>
      <dd>${typeof args[k] === 'string'
        ? html`<${Pre} label=${`argument ${k}`}>${visible(args[k])}<//>`
        : html`<${Pre} label=${`argument ${k}`}>${pretty(args[k])}<//>`}</dd>
    </div>`)}
  </dl>`;
}

function CallResult({ outcome }) {
  if (!outcome) return null;
  if (outcome.state === 'running') return html`<div class="result"><${Spinner} label="Running in the sandbox…" /></div>`;
  if (outcome.state === 'failed') return html`<div class="result"><${ErrorBox} error=${outcome.error} title="The decision failed" /></div>`;
  const c = outcome.call;
  if (!c) return null;
  if (c.status === 'ok') {
    return html`<div class="result result-ok">
      <div class="result-head"><${Badge} kind="ok">result<//> ${typeof c.duration_ms === 'number' && html`<span class="muted">${c.duration_ms} ms</span>`}</div>
      <${Pre} label="call result">${pretty(c.result)}<//>
    </div>`;
  }
  if (c.status === 'error') {
    return html`<div class="result result-error">
      <div class="result-head"><${Badge} kind="danger">error<//> <${T} mono>${c.error && c.error.code}<//></div>
      <p><${T}>${c.error && c.error.message}<//></p>
    </div>`;
  }
  return html`<div class="result"><${Badge}>${String(c.status)}<//></div>`;
}

function Meta({ item, now: tick }) {
  const now = Math.max(tick, Date.now()); // `tick` only re-renders each second; a new card must not count from a stale one
  const left = Date.parse(item.expires_at) - now;
  const age = now - Date.parse(item.created_at);
  return html`<dl class="meta">
    <div><dt>Agent</dt><dd><${T} mono>${item.agent_id}<//></dd></div>
    ${item.requested_by !== `agent:${item.agent_id}` && html`<div><dt>Requested by</dt><dd><${T} mono>${item.requested_by}<//></dd></div>`}
    <div><dt>Age</dt><dd>${duration(age)}</dd></div>
    ${item.status === 'pending'
      ? html`<div><dt>Expires in</dt><dd class=${left < 60_000 ? 'countdown urgent' : 'countdown'} title=${localTime(item.expires_at)}>${clock(left)}</dd></div>`
      : html`<div><dt>Decided by</dt><dd><${T} mono>${item.decided_by ?? '—'}<//></dd></div>`}
    <div class="wide"><dt>Args sha256</dt><dd class="mono hash">${item.args_sha256}</dd></div>
    <div class="wide"><dt>Call id</dt><dd class="mono">${item.call_id}</dd></div>
  </dl>`;
}

async function followCall(callId, signal) {
  const deadline = Date.now() + 10 * 60_000;
  while (!signal.aborted && Date.now() < deadline) {
    const { body } = await api('GET', `/tools/calls/${encodeURIComponent(callId)}`);
    if (body && body.status !== 'running' && body.status !== 'pending_approval') return body;
    await sleep(500, signal);
  }
  return { status: 'running' };
}

function PendingCard({ item, now: tick, onOutcome, killed }) {
  const now = Math.max(tick, Date.now());
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState('');
  const [error, setError] = useState(null);
  const [revealed, setRevealed] = useState(null);
  const left = Date.parse(item.expires_at) - now;
  const expired = left <= 0;
  const reveal = async () => {
    setError(null);
    try {
      const r = await api('GET', `/approvals/${encodeURIComponent(item.id)}?reveal=true`);
      setRevealed(r.body && r.body.args_revealed === true ? { args: r.body.args } : { unsupported: true });
    } catch (err) {
      setError(err);
    }
  };
  const decide = async (action) => {
    setBusy(action);
    setError(null);
    const payload = note.trim() === '' ? {} : { note: note.trim() };
    try {
      if (action === 'approve') onOutcome(item.id, { state: 'running', action });
      const res = await api('POST', `/approvals/${encodeURIComponent(item.id)}/${action}`, payload);
      if (action === 'reject') {
        onOutcome(item.id, { state: 'done', action, note: payload.note });
        return;
      }
      if (res.status === 202) {
        const callId = (res.body && (res.body.call_id ?? (res.body.call && res.body.call.call_id))) || item.call_id;
        const ctl = new AbortController();
        const call = await followCall(callId, ctl.signal);
        onOutcome(item.id, { state: 'done', action, call, note: payload.note });
        return;
      }
      onOutcome(item.id, { state: 'done', action, call: res.body && res.body.call, note: payload.note });
    } catch (err) {
      onOutcome(item.id, undefined);
      setError(err);
      setBusy('');
    }
  };
  const noteId = `note-${item.id}`;
  return html`<article class=${`card approval risk-${item.risk}`} aria-labelledby=${`title-${item.id}`} data-approval-id=${item.id}>
    <header class="card-head">
      <h3 id=${`title-${item.id}`}><${T} mono>${item.tool}<//></h3>
      <${RiskBadge} risk=${item.risk} />
      <span class="spacer"></span>
      <span class=${left < 60_000 ? 'countdown-chip urgent' : 'countdown-chip'} aria-label="time left">${clock(left)}</span>
    </header>
    <${Meta} item=${item} now=${now} />
    <div class="args-head">
      <h4 class="sub">${revealed && revealed.args !== undefined ? html`Exact arguments <span class="muted">(unredacted; this view is in the audit log)</span>`
        : html`Arguments <span class="muted">(as shown to admins: secrets redacted)</span>`}</h4>
      ${revealed === null && html`<button type="button" class="btn btn-small reveal" onClick=${() => void reveal()}>Show exact args</button>`}
      ${revealed && revealed.unsupported && html`<span class="muted small">This gateway does not reveal exact args.</span>`}
    </div>
    <${Args} args=${revealed && revealed.args !== undefined ? revealed.args : item.args} />
    <form class="decide" onSubmit=${(e) => { e.preventDefault(); void decide('approve'); }}>
      <label for=${noteId} class="sr-only">Note</label>
      <input id=${noteId} class="note-input" placeholder="Optional note (recorded in the audit log)" maxlength="1024" value=${note}
        onInput=${(e) => setNote(e.currentTarget.value)} disabled=${busy !== ''} />
      <div class="decide-buttons">
        <button type="submit" class="btn btn-primary approve" disabled=${busy !== '' || killed || expired}
          title=${killed ? 'The kill switch is active: nothing can be approved' : expired ? 'This request has expired' : undefined}>
          ${busy === 'approve' ? 'Approving…' : expired ? 'Expired' : 'Approve and run'}
        </button>
        <button type="button" class="btn btn-danger-outline reject" disabled=${busy !== ''} onClick=${() => void decide('reject')}>
          ${busy === 'reject' ? 'Rejecting…' : 'Reject'}
        </button>
      </div>
    </form>
    <${ErrorBox} error=${error} title="The decision was not applied" />
  </article>`;
}

function ClosedCard({ item, outcome, now }) {
  const status = item.status;
  const kind = status === 'executed' || status === 'approved' ? 'ok' : status === 'rejected' || status === 'failed' ? 'danger' : 'neutral';
  return html`<article class="card closed" data-approval-id=${item.id}>
    <header class="card-head">
      <h3><${T} mono>${item.tool}<//></h3>
      <${Badge} kind=${kind}>${status}<//>
      <span class="spacer"></span>
      <span class="muted">${item.decided_at ? localTime(item.decided_at) : ''}</span>
    </header>
    <${Meta} item=${item} now=${now} />
    ${item.note && html`<p class="note-line"><span class="muted">Note:</span> <${T}>${item.note}<//></p>`}
    <${CallResult} outcome=${outcome && outcome.action === 'approve' ? outcome : undefined} />
  </article>`;
}

export function Approvals({ feed, kill }) {
  const now = useNow(1000);
  const [outcomes, setOutcomes] = useState({});
  const live = useRef(null);
  const onOutcome = (id, o) => setOutcomes((m) => {
    const next = { ...m };
    if (o === undefined) delete next[id];
    else next[id] = o;
    return next;
  });
  const { pending, closed, status } = feed;
  useEffect(() => {
    if (live.current) live.current.textContent = `${pending.length} pending approval${pending.length === 1 ? '' : 's'}`;
  }, [pending.length]);
  return html`<div class="view" id="view-approvals">
    <div class="view-head">
      <h1>Approvals</h1>
      <span class=${`conn conn-${status}`} role="status">${status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>
    </div>
    <div class="sr-only" aria-live="polite" ref=${live}></div>
    ${kill && kill.active && html`<${Notice} kind="error">The kill switch is active: calls cannot be approved or run until it is released.<//>`}
    <section aria-labelledby="pending-title">
      <h2 id="pending-title" class="group-title">Pending <span class="count">${pending.length}</span></h2>
      ${pending.length === 0
        ? html`<div class="empty"><p><strong>No calls are waiting for a decision.</strong></p><p class="muted">New requests appear here immediately.</p></div>`
        : html`<div class="cards">${pending.map((item) => html`<${PendingCard} key=${item.id} item=${item} now=${now} onOutcome=${onOutcome}  killed=${kill && kill.active} />`)}</div>`}
    </section>
    ${closed.length > 0 && html`<section aria-labelledby="closed-title">
      <h2 id="closed-title" class="group-title">Closed in this session</h2>
      <div class="cards">${closed.map((item) => html`<${ClosedCard} key=${item.id} item=${item} outcome=${outcomes[item.id]} now=${now} />`)}</div>
    </section>`}
  </div>`;
}

