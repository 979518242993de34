/**
 * Provider-key tables. The gateway appends PROVIDER_MIGRATIONS to its migration list. The
 * element type is structurally the gateway's `Migration` (providers/ never imports the gateway).
 */
export interface ProviderMigration {
  readonly id: string;
  readonly sql: string;
}

export const PROVIDER_MIGRATIONS: readonly ProviderMigration[] = [
  {
    id: 'providers-001-keys',
    sql: `CREATE TABLE provider_keys (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      provider TEXT NOT NULL,
      iv BLOB NOT NULL,
      tag BLOB NOT NULL,
      ciphertext BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      retired_at INTEGER
    );
    CREATE INDEX provider_keys_by_provider ON provider_keys (provider, id);`,
  },
];
