/**
 * Label values are bounded: nothing a client sends is echoed into a label. Tool names pass
 * through `boundTool` (registered names only, else `unknown`); every other label takes a value
 * from a fixed list (else `other`), and routes must be route patterns of the app.
 */
export const OUTCOMES = ['ok', 'error', 'denied', 'pending_approval', 'rejected', 'expired', 'invalid', 'rate_limited', 'kill_switch', 'paused', 'unavailable'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const EFFECTS = ['allow', 'deny', 'require_approval'] as const;
export const BACKENDS = ['isolate', 'docker'] as const;
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function boundTool(name: unknown, knownTools: ReadonlySet<string> | readonly string[]): string {
  if (typeof name !== 'string') return 'unknown';
  const known = knownTools instanceof Set ? knownTools.has(name) : (knownTools as readonly string[]).includes(name);
  return known ? name : 'unknown';
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: string): string {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? value : fallback;
}

const ROUTE_PATTERN = /^\/[A-Za-z0-9_:./-]{0,127}$/;

/** A matched express route pattern (e.g. `/approvals/:id`); anything else is `unmatched`. */
export function boundRoute(route: unknown): string {
  return typeof route === 'string' && ROUTE_PATTERN.test(route) ? route : 'unmatched';
}

export function boundStatus(status: unknown): string {
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';
}
