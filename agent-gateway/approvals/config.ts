/** Approval queue config: `{timeout_seconds}` integer 10..86400, default 900; persisted. */
import type { DatabaseSync } from 'node:sqlite';
import { isPlainObject } from '../../sandbox/json.ts';

export interface ApprovalConfig { readonly timeout_seconds: number }

export const DEFAULT_APPROVAL_CONFIG: ApprovalConfig = Object.freeze({ timeout_seconds: 900 });
export const TIMEOUT_MIN = 10;
export const TIMEOUT_MAX = 86_400;

export type ApprovalConfigResult =
  | { ok: true; config: ApprovalConfig }
  | { ok: false; errors: { instancePath: string; message: string }[] };

export function validateApprovalConfig(body: unknown): ApprovalConfigResult {
  if (!isPlainObject(body)) return { ok: false, errors: [{ instancePath: '', message: 'must be an object' }] };
  const errors: { instancePath: string; message: string }[] = [];
  for (const k of Object.keys(body)) {
    if (k !== 'timeout_seconds') errors.push({ instancePath: `/${k}`, message: 'unknown property' });
  }
  const t = body['timeout_seconds'];
  if (typeof t !== 'number' || !Number.isInteger(t) || t < TIMEOUT_MIN || t > TIMEOUT_MAX) {
    errors.push({ instancePath: '/timeout_seconds', message: `must be an integer from ${TIMEOUT_MIN} to ${TIMEOUT_MAX}` });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: Object.freeze({ timeout_seconds: t as number }) };
}

export class ApprovalConfigStore {
  readonly #db: DatabaseSync;
  readonly #now: () => number;

  constructor(db: DatabaseSync, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  get(): ApprovalConfig {
    const row = this.#db.prepare('SELECT timeout_seconds FROM approvals_config WHERE id = 1').get();
    if (row === undefined) return DEFAULT_APPROVAL_CONFIG;
    const parsed = validateApprovalConfig({ timeout_seconds: Number(row['timeout_seconds']) });
    if (!parsed.ok) throw new Error('stored approval config is invalid');
    return parsed.config;
  }

  put(config: ApprovalConfig, actor: string): ApprovalConfig {
    const parsed = validateApprovalConfig({ timeout_seconds: config.timeout_seconds });
    if (!parsed.ok) throw new RangeError('invalid approval config');
    this.#db.prepare(`INSERT INTO approvals_config (id, timeout_seconds, actor, updated_at) VALUES (1, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET timeout_seconds = excluded.timeout_seconds, actor = excluded.actor, updated_at = excluded.updated_at`)
      .run(parsed.config.timeout_seconds, actor, this.#now());
    return parsed.config;
  }
}
