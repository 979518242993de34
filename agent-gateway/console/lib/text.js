// Pure text helpers. Everything an agent, a tool or the audit log produced is shown as text;
// `visible` additionally makes invisible and direction-changing characters visible, so an
// approval can never look different from what will run (a "Trojan Source" bidi override in
// args would otherwise reorder what the operator reads).
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb]/gu;

export function hasInvisible(s) {
  INVISIBLE.lastIndex = 0;
  return typeof s === 'string' && INVISIBLE.test(s);
}

/** Replaces each invisible/bidi control character with a visible ⟦U+XXXX⟧ marker. */
export function visible(s) {
  return String(s).replace(INVISIBLE, (c) => `⟦U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}⟧`);
}

/** JSON pretty-printed for display (2 spaces), with invisible characters made visible. */
export function pretty(value) {
  let s;
  try {
    s = JSON.stringify(value, null, 2);
  } catch {
    s = String(value);
  }
  return visible(s === undefined ? 'undefined' : s);
}

/** One line of JSON, cut to `max` characters. */
export function compact(value, max = 120) {
  let s;
  try {
    s = JSON.stringify(value);
  } catch {
    s = String(value);
  }
  s = visible(s === undefined ? '' : s);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** "4 s", "3 m 05 s", "2 h 04 m", "3 d 2 h" for a duration in ms (negative → 0). */
export function duration(ms) {
  const t = Math.max(0, Math.floor(ms / 1000));
  if (t < 60) return `${t} s`;
  const m = Math.floor(t / 60);
  if (m < 60) return `${m} m ${String(t % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A countdown clock: "14:59", "1:02:03"; "0:00" once passed. */
export function clock(ms) {
  const t = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Local date-time for an ISO string, e.g. "2026-12-02 16:40:05". */
export function localTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A problem+json body's `errors` as "path: message" lines. */
export function problemLines(problem) {
  const errors = problem && Array.isArray(problem.errors) ? problem.errors : [];
  return errors.slice(0, 50).map((e) => `${e && e.instancePath ? e.instancePath : '(document)'}: ${e && e.message ? e.message : 'invalid'}`);
}
