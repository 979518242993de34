/**
 * Upstream MCP servers and their pinned tool definitions in sqlite (they survive a restart).
 * Env values are sealed with the provider master key (AES-256-GCM, bound to server and name as
 * additional data) and never leave this module except to start the container. The admin's
 * per-tool overrides of risk, tags and approval (overrides.ts) are stored beside the pins.
 */
import type { DatabaseSync } from 'node:sqlite';
import { open, seal } from '../../providers/key-crypto.ts';
import type { Migration } from '../store/db.ts';
import { isEmptyOverride, overrideJson, type ToolOverride } from './overrides.ts';
import type { Pin, UpstreamToolDefinition } from './pin.ts';
import type { ResolvedMount, UpstreamNetwork } from './types.ts';

export const UPSTREAM_MIGRATIONS: readonly Migration[] = [
  {
    id: 'upstream-001-mcp-servers',
    sql: `CREATE TABLE mcp_servers (
      name TEXT PRIMARY KEY,
      package TEXT NOT NULL,
      version TEXT NOT NULL,
      args TEXT NOT NULL,
      env TEXT NOT NULL,
      mounts TEXT NOT NULL,
      network TEXT NOT NULL CHECK (network IN ('none')),
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE mcp_pins (
      server TEXT NOT NULL REFERENCES mcp_servers (name) ON DELETE CASCADE,
      tool TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      definition TEXT NOT NULL,
      pinned_by TEXT NOT NULL,
      pinned_at INTEGER NOT NULL,
      PRIMARY KEY (server, tool)
    )`,
  },
  {
    // issue 16 item 3: the admin's risk / tags / approval per upstream tool (overrides.ts)
    id: 'upstream-002-tool-overrides',
    sql: `CREATE TABLE mcp_overrides (
      server TEXT NOT NULL REFERENCES mcp_servers (name) ON DELETE CASCADE,
      tool TEXT NOT NULL,
      override TEXT NOT NULL,
      set_by TEXT NOT NULL,
      set_at INTEGER NOT NULL,
      PRIMARY KEY (server, tool)
    )`,
  },
  {
    // issue 16 item 2: network "egress-allowlist". SQLite cannot change a CHECK in place, so the
    // three tables are rebuilt: the children are copied to new tables that reference the new
    // parent BEFORE the old ones are dropped (dropping the old parent first would cascade its
    // ON DELETE to the pins and overrides), then renamed (the references follow the rename).
    id: 'upstream-003-network-egress-allowlist',
    sql: `CREATE TABLE mcp_servers_v3 (
      name TEXT PRIMARY KEY,
      package TEXT NOT NULL,
      version TEXT NOT NULL,
      args TEXT NOT NULL,
      env TEXT NOT NULL,
      mounts TEXT NOT NULL,
      network TEXT NOT NULL CHECK (network IN ('none', 'egress-allowlist')),
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    INSERT INTO mcp_servers_v3 SELECT name, package, version, args, env, mounts, network, created_by, created_at FROM mcp_servers;
    CREATE TABLE mcp_pins_v3 (
      server TEXT NOT NULL REFERENCES mcp_servers_v3 (name) ON DELETE CASCADE,
      tool TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      definition TEXT NOT NULL,
      pinned_by TEXT NOT NULL,
      pinned_at INTEGER NOT NULL,
      PRIMARY KEY (server, tool)
    );
    INSERT INTO mcp_pins_v3 SELECT server, tool, sha256, definition, pinned_by, pinned_at FROM mcp_pins;
    CREATE TABLE mcp_overrides_v3 (
      server TEXT NOT NULL REFERENCES mcp_servers_v3 (name) ON DELETE CASCADE,
      tool TEXT NOT NULL,
      override TEXT NOT NULL,
      set_by TEXT NOT NULL,
      set_at INTEGER NOT NULL,
      PRIMARY KEY (server, tool)
    );
    INSERT INTO mcp_overrides_v3 SELECT server, tool, override, set_by, set_at FROM mcp_overrides;
    DROP TABLE mcp_pins;
    DROP TABLE mcp_overrides;
    DROP TABLE mcp_servers;
    ALTER TABLE mcp_servers_v3 RENAME TO mcp_servers;
    ALTER TABLE mcp_pins_v3 RENAME TO mcp_pins;
    ALTER TABLE mcp_overrides_v3 RENAME TO mcp_overrides`,
  },
];

export interface ServerRecord {
  readonly name: string;
  readonly package: string;
  readonly version: string;
  readonly args: readonly string[];
  readonly envNames: readonly string[];
  readonly mounts: readonly ResolvedMount[];
  readonly network: UpstreamNetwork;
  readonly createdBy: string;
  readonly createdAt: number;
}

type SealedEnv = Record<string, { iv: string; tag: string; ct: string }>;

const aadName = (server: string, key: string): string => `mcp-env:${server}:${key}`;

export class UpstreamStore {
  readonly #db: DatabaseSync;
  readonly #key: Buffer;

  constructor(db: DatabaseSync, masterKey: Buffer) {
    this.#db = db;
    this.#key = masterKey;
  }

  #row(r: Record<string, unknown>): ServerRecord {
    return {
      name: String(r['name']), package: String(r['package']), version: String(r['version']),
      args: JSON.parse(String(r['args'])) as string[],
      envNames: Object.keys(JSON.parse(String(r['env'])) as SealedEnv).sort(),
      mounts: JSON.parse(String(r['mounts'])) as ResolvedMount[],
      network: r['network'] === 'egress-allowlist' ? 'egress-allowlist' : 'none', createdBy: String(r['created_by']), createdAt: Number(r['created_at']),
    };
  }

  list(): readonly ServerRecord[] {
    return this.#db.prepare('SELECT * FROM mcp_servers ORDER BY name').all().map((r) => this.#row(r as Record<string, unknown>));
  }

  get(name: string): ServerRecord | undefined {
    const r = this.#db.prepare('SELECT * FROM mcp_servers WHERE name = ?').get(name);
    return r === undefined ? undefined : this.#row(r as Record<string, unknown>);
  }

  /** the decrypted env, for the container only */
  env(name: string): Readonly<Record<string, string>> {
    const r = this.#db.prepare('SELECT env FROM mcp_servers WHERE name = ?').get(name) as { env: string } | undefined;
    const sealed = r === undefined ? {} : JSON.parse(r.env) as SealedEnv;
    const out: Record<string, string> = {};
    for (const [k, s] of Object.entries(sealed)) {
      out[k] = open(this.#key, aadName(name, k), {
        iv: Buffer.from(s.iv, 'base64'), tag: Buffer.from(s.tag, 'base64'), ciphertext: Buffer.from(s.ct, 'base64'),
      });
    }
    return out;
  }

  #seal(server: string, env: Readonly<Record<string, string>>): SealedEnv {
    const sealed: SealedEnv = {};
    for (const [k, v] of Object.entries(env)) {
      const s = seal(this.#key, aadName(server, k), v);
      sealed[k] = { iv: Buffer.from(s.iv).toString('base64'), tag: Buffer.from(s.tag).toString('base64'), ct: Buffer.from(s.ciphertext).toString('base64') };
    }
    return sealed;
  }

  insert(rec: Omit<ServerRecord, 'envNames'>, env: Readonly<Record<string, string>>, pins: readonly Pin[], at: number, overrides: ReadonlyMap<string, ToolOverride> = new Map()): void {
    const sealed = this.#seal(rec.name, env);
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.#db.prepare('INSERT INTO mcp_servers (name, package, version, args, env, mounts, network, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(rec.name, rec.package, rec.version, JSON.stringify(rec.args), JSON.stringify(sealed), JSON.stringify(rec.mounts), rec.network, rec.createdBy, rec.createdAt);
      this.#putPins(rec.name, pins, rec.createdBy, at);
      this.#putOverrides(rec.name, overrides, rec.createdBy, at);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * A stored server brought to a new declaration (the servers file): package, version, args, env,
   * mounts and network replaced, its overrides replaced whole; its pins and creation kept.
   */
  update(rec: Omit<ServerRecord, 'envNames' | 'createdBy' | 'createdAt'>, env: Readonly<Record<string, string>>, overrides: ReadonlyMap<string, ToolOverride>, by: string, at: number): void {
    const sealed = this.#seal(rec.name, env);
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.#db.prepare('UPDATE mcp_servers SET package = ?, version = ?, args = ?, env = ?, mounts = ?, network = ? WHERE name = ?')
        .run(rec.package, rec.version, JSON.stringify(rec.args), JSON.stringify(sealed), JSON.stringify(rec.mounts), rec.network, rec.name);
      this.#db.prepare('DELETE FROM mcp_overrides WHERE server = ?').run(rec.name);
      this.#putOverrides(rec.name, overrides, by, at);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  delete(name: string): boolean {
    return Number(this.#db.prepare('DELETE FROM mcp_servers WHERE name = ?').run(name).changes) > 0;
  }

  pins(server: string): ReadonlyMap<string, Pin> {
    const rows = this.#db.prepare('SELECT tool, sha256, definition FROM mcp_pins WHERE server = ?').all(server) as { tool: string; sha256: string; definition: string }[];
    return new Map(rows.map((r) => [r.tool, { tool: r.tool, sha256: r.sha256, definition: JSON.parse(r.definition) as UpstreamToolDefinition }]));
  }

  /** pins and overrides of one admin request, in one transaction */
  pin(server: string, pins: readonly Pin[], by: string, at: number, overrides: ReadonlyMap<string, ToolOverride> = new Map()): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.#putPins(server, pins, by, at);
      this.#putOverrides(server, overrides, by, at);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #putPins(server: string, pins: readonly Pin[], by: string, at: number): void {
    const stmt = this.#db.prepare(`INSERT INTO mcp_pins (server, tool, sha256, definition, pinned_by, pinned_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (server, tool) DO UPDATE SET sha256 = excluded.sha256, definition = excluded.definition, pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at`);
    for (const p of pins) stmt.run(server, p.tool, p.sha256, JSON.stringify(p.definition), by, at);
  }

  /** tool (its own name) → the admin's override */
  overrides(server: string): ReadonlyMap<string, ToolOverride> {
    const rows = this.#db.prepare('SELECT tool, override FROM mcp_overrides WHERE server = ?').all(server) as { tool: string; override: string }[];
    return new Map(rows.map((r) => [r.tool, Object.freeze(JSON.parse(r.override) as ToolOverride)]));
  }

  /** each entry replaces the tool's override whole; an empty one removes it */
  #putOverrides(server: string, overrides: ReadonlyMap<string, ToolOverride>, by: string, at: number): void {
    const put = this.#db.prepare(`INSERT INTO mcp_overrides (server, tool, override, set_by, set_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (server, tool) DO UPDATE SET override = excluded.override, set_by = excluded.set_by, set_at = excluded.set_at`);
    const drop = this.#db.prepare('DELETE FROM mcp_overrides WHERE server = ? AND tool = ?');
    for (const [tool, o] of overrides) {
      if (isEmptyOverride(o)) drop.run(server, tool);
      else put.run(server, tool, JSON.stringify(overrideJson(o)), by, at);
    }
  }
}
