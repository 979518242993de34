/**
 * The one ordered list of sqlite migrations, imported from the schema modules only (no HTTP
 * app, no sandbox), so the CLI can open the state without loading the whole gateway.
 * gateway.ts re-exports it as MIGRATIONS.
 */
import { ALERT_MIGRATIONS } from './alerts/schema.ts';
import { APPROVAL_MIGRATIONS } from './approvals/schema.ts';
import { OUTBOX_MIGRATIONS } from './audit/outbox.ts';
import { AUDIT_MIGRATIONS } from './audit/schema.ts';
import { AUTH_MIGRATIONS } from './auth/schema.ts';
import { GOVERNANCE_MIGRATIONS } from './governance/schema.ts';
import { POLICY_MIGRATIONS } from './policy/schema.ts';
import { PRIVACY_MIGRATIONS } from './privacy/schema.ts';
import type { Migration } from './store/db.ts';
import { PROVIDER_MIGRATIONS } from '../providers/schema.ts';
import { UPSTREAM_MIGRATIONS } from './upstream/store.ts';

export const MIGRATIONS: readonly Migration[] = [
  ...AUTH_MIGRATIONS, ...AUDIT_MIGRATIONS, ...POLICY_MIGRATIONS, ...APPROVAL_MIGRATIONS,
  ...PROVIDER_MIGRATIONS, ...PRIVACY_MIGRATIONS, ...ALERT_MIGRATIONS, ...OUTBOX_MIGRATIONS,
  ...GOVERNANCE_MIGRATIONS, ...UPSTREAM_MIGRATIONS,
];
