/**
 * SQLite state (node:sqlite, WAL, synchronous=NORMAL) under the data dir. NORMAL in WAL mode
 * means a commit is atomic and consistent but not fsynced until the next checkpoint: a power
 * loss may drop the last few bookkeeping commits (call records, approval rows), never corrupt
 * the file. That is deliberate: the durable record of every acknowledged decision is the
 * audit log (audit/, group-committed with fdatasync before any response is sent); no request
 * waits for a sqlite fsync (issue 12; test/integration/kill9-durability.test.ts). Directories are created 0700 and the
 * database files 0600. Schema changes are versioned migrations: each module owns an ordered
 * list of `{id, sql}` and the runner applies, in one transaction each, those not yet
 * recorded in `schema_migrations`.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface Migration {
  /** stable, unique id, e.g. `core-001-users`; never renamed once shipped */
  readonly id: string;
  readonly sql: string;
}

export function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

export function openDatabase(dataDir: string, migrations: readonly Migration[]): DatabaseSync {
  ensurePrivateDir(dataDir);
  const file = join(dataDir, 'palisade.db');
  const previous = process.umask(0o077);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  } finally {
    process.umask(previous);
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  applyMigrations(db, migrations);
  return db;
}

export function applyMigrations(db: DatabaseSync, migrations: readonly Migration[]): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.id)) throw new Error(`duplicate migration id ${m.id}`);
    seen.add(m.id);
  }
  const applied = new Set(
    db.prepare('SELECT id FROM schema_migrations').all().map((row) => String(row['id'])),
  );
  const done: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(m.id, Date.now());
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    done.push(m.id);
  }
  return done;
}

/** Runs `fn` in an IMMEDIATE transaction. */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
