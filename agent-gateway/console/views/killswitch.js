// The kill switch: state from GET /admin/kill-switch (polled), engaged with a reason through
// POST /admin/kill-switch, released through DELETE /admin/kill-switch.
import { html, useState } from '../lib/html.js';
import { api } from '../lib/api.js';
import { localTime } from '../lib/text.js';
import { ErrorBox, Modal, T, usePoll } from './ui.js';

export function useKillSwitch() {
  const [state, setState] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  usePoll(async () => {
    try {
      setState((await api('GET', '/admin/kill-switch')).body);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, 5_000, [tick]);
  return { state, error, set: setState, reload: () => setTick((t) => t + 1) };
}

export function KillSwitch({ kill }) {
  const [mode, setMode] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const s = kill.state;
  const active = s !== null && s.active === true;
  const close = () => {
    setMode('');
    setError(null);
  };
  const engage = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      kill.set((await api('POST', '/admin/kill-switch', { reason: reason.trim() })).body);
      setReason('');
      setMode('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const release = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      kill.set((await api('DELETE', '/admin/kill-switch')).body);
      setMode('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class=${`killswitch ${active ? 'killswitch-on' : 'killswitch-off'}`} id="killswitch">
    ${s === null
      ? html`<span class="ks-state">Kill switch: ${kill.error ? 'unknown' : '…'}</span>`
      : active
        ? html`<span class="ks-state" role="status"><span class="ks-dot" aria-hidden="true"></span><strong>Kill switch ACTIVE</strong>
            <span class="ks-detail" title=${`${s.reason} · ${s.actor} · ${s.since ? localTime(s.since) : ''}`}>“<${T}>${s.reason}<//>” · <${T} mono>${s.actor}<//> · ${s.since ? localTime(s.since) : ''}</span></span>
          <button class="btn btn-light" type="button" id="ks-release" onClick=${() => setMode('release')}>Release…</button>`
        : html`<span class="ks-state" role="status"><span class="ks-dot" aria-hidden="true"></span>Tools running</span>
          <button class="btn btn-danger" type="button" id="ks-engage" onClick=${() => setMode('engage')}>Kill switch…</button>`}
    <${Modal} open=${mode === 'engage'} title="Engage the kill switch" onClose=${close}>
      <form onSubmit=${engage}>
        <p>Every tool call is refused with 503 and no approval can run until the switch is released. Agents see the refusal at once.</p>
        <div class="field">
          <label for="ks-reason">Reason (recorded in the audit log)</label>
          <textarea id="ks-reason" rows="3" maxlength="512" required value=${reason} onInput=${(e) => setReason(e.currentTarget.value)}></textarea>
        </div>
        <${ErrorBox} error=${error} />
        <div class="modal-actions">
          <button type="button" class="btn" onClick=${close}>Cancel</button>
          <button type="submit" class="btn btn-danger" id="ks-confirm" disabled=${busy || reason.trim() === ''}>${busy ? 'Engaging…' : 'Stop all tool calls'}</button>
        </div>
      </form>
    <//>
    <${Modal} open=${mode === 'release'} title="Release the kill switch" onClose=${close}>
      <form onSubmit=${release}>
        <p>Tool calls resume immediately and pending approvals can be decided again.</p>
        <${ErrorBox} error=${error} />
        <div class="modal-actions">
          <button type="button" class="btn" onClick=${close}>Cancel</button>
          <button type="submit" class="btn btn-primary" id="ks-release-confirm" disabled=${busy}>${busy ? 'Releasing…' : 'Release and resume'}</button>
        </div>
      </form>
    <//>
  </div>`;
}
