/**
 * Persisted alert config. The stored row is re-validated on read (shape only: URLs were
 * checked when it was written and are checked again at send time).
 */
import type { DatabaseSync } from 'node:sqlite';
import { mergeAlertConfigPatch, DEFAULT_ALERT_CONFIG, type AlertConfig } from './config.ts';

export class AlertConfigStore {
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  #cache: AlertConfig | undefined;

  constructor(db: DatabaseSync, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  get(): AlertConfig {
    if (this.#cache !== undefined) return this.#cache;
    const row = this.#db.prepare('SELECT doc FROM alerts_config WHERE id = 1').get();
    if (row === undefined) return DEFAULT_ALERT_CONFIG;
    const r = mergeAlertConfigPatch(DEFAULT_ALERT_CONFIG, JSON.parse(String(row['doc'])));
    if (!r.ok) throw new Error('stored alert config is invalid');
    this.#cache = r.config;
    return r.config;
  }

  /** Stores a config produced by `applyAlertConfigPatch`. */
  put(config: AlertConfig, actor: string): void {
    this.#db.prepare(`INSERT INTO alerts_config (id, doc, actor, updated_at) VALUES (1, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, actor = excluded.actor, updated_at = excluded.updated_at`)
      .run(JSON.stringify(config), actor, this.#now());
    this.#cache = config;
  }
}
