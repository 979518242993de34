// Small shared pieces: buttons, error boxes, a modal <dialog>, badges, a clock hook.
import { html, useEffect, useRef, useState } from '../lib/html.js';
import { hasInvisible, problemLines, visible } from '../lib/text.js';
import { ApiError, describeError } from '../lib/api.js';

/** Re-renders every `ms` with the current time. */
export function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Calls fn now and every `ms` while mounted; fn receives an AbortSignal. */
export function usePoll(fn, ms, deps = []) {
  useEffect(() => {
    const ctl = new AbortController();
    let timer;
    const tick = async () => {
      try {
        await fn(ctl.signal);
      } finally {
        if (!ctl.signal.aborted) timer = setTimeout(tick, ms);
      }
    };
    void tick();
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, deps);
}

export function ErrorBox({ error, title }) {
  if (!error) return null;
  const lines = error instanceof ApiError ? problemLines(error.problem) : [];
  return html`<div class="alert alert-error" role="alert">
    <strong>${title ?? 'Request failed'}</strong>
    <div>${visible(describeError(error))}</div>
    ${lines.length > 0 && html`<ul class="problem-list">${lines.map((l) => html`<li><code>${visible(l)}</code></li>`)}</ul>`}
  </div>`;
}

export function Notice({ kind = 'info', children }) {
  return html`<div class=${`alert alert-${kind}`} role="status">${children}</div>`;
}

export function Badge({ kind = 'neutral', children, title }) {
  return html`<span class=${`badge badge-${kind}`} title=${title}>${children}</span>`;
}

export function RiskBadge({ risk }) {
  const kind = risk === 'high' ? 'danger' : risk === 'medium' ? 'warn' : 'ok';
  return html`<${Badge} kind=${kind}>${String(risk)} risk<//>`;
}

/** Text from outside (agents, tools, audit) with invisible characters made visible. */
export function T({ children, mono }) {
  const s = String(children ?? '');
  const flagged = hasInvisible(s);
  return html`<span class=${`${mono ? 'mono' : ''}${flagged ? ' flagged' : ''}`} title=${flagged ? 'contains invisible or bidi control characters, shown as ⟦U+…⟧' : undefined}>${visible(s)}</span>`;
}

export function Pre({ children, label }) {
  return html`<pre class="code" tabindex="0" aria-label=${label}>${children}</pre>`;
}

export function Spinner({ label = 'Loading…' }) {
  return html`<span class="spinner" role="status"><span class="spinner-dot" aria-hidden="true"></span>${label}</span>`;
}

/** A modal dialog (native <dialog>: focus is trapped and Escape closes it). */
export function Modal({ open, title, onClose, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return html`<dialog ref=${ref} class="modal" aria-label=${title} onClose=${() => onClose()} onCancel=${() => onClose()}>
    ${open && html`<div class="modal-body"><h2 class="modal-title">${title}</h2>${children}</div>`}
  </dialog>`;
}

export function Field({ label, hint, children, id }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${children}
    ${hint && html`<div class="hint" id=${`${id}-hint`}>${hint}</div>`}
  </div>`;
}

export function Section({ title, actions, children, id }) {
  return html`<section class="panel" aria-labelledby=${id}>
    <header class="panel-head"><h2 id=${id}>${title}</h2>${actions && html`<div class="panel-actions">${actions}</div>`}</header>
    <div class="panel-body">${children}</div>
  </section>`;
}
