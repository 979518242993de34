/**
 * Crash-test child with the sqlite head: like audit-crash-child.ts, but the audit service has
 * a database, so every group commit also writes the head. Prints `seq` for every acknowledged
 * append until killed. argv: <dataDir>
 */
import { AUDIT_MIGRATIONS, openAudit } from '../../agent-gateway/audit/index.ts';
import { openDatabase } from '../../agent-gateway/store/db.ts';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: audit-head-crash-child.ts <dataDir>');
const db = openDatabase(dataDir, AUDIT_MIGRATIONS);
const audit = openAudit({ dataDir, db, logger: { warn: (m) => process.stderr.write(`${m}\n`) }, checkpointEvery: 50 });
process.stdout.write('ready\n');
await Promise.all(Array.from({ length: 8 }, async (_, w) => {
  for (let n = 0; ; n += 1) {
    const { seq } = await audit.log.append({ type: 'crash.test', actor: `agent:w${w}`, outcome: 'ok', data: { w, n } });
    process.stdout.write(`${seq}\n`);
  }
}));
