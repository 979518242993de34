/**
 * Crash-test child: appends audit events in a tight loop from 8 concurrent appenders and
 * prints `seq worker n` on stdout for every acknowledged (fsynced) append, until killed.
 * argv: <dataDir>
 */
import { openAudit } from '../../agent-gateway/audit/index.ts';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: audit-crash-child.ts <dataDir>');
const audit = openAudit({ dataDir, logger: { warn: (m) => process.stderr.write(`${m}\n`) }, checkpointEvery: 50 });
process.stdout.write('ready\n');

async function appender(worker: number): Promise<void> {
  for (let n = 0; ; n += 1) {
    const { seq } = await audit.log.append({ type: 'crash.test', actor: `agent:w${worker}`, outcome: 'ok', data: { worker, n } });
    process.stdout.write(`${seq} ${worker} ${n}\n`);
  }
}

await Promise.all(Array.from({ length: 8 }, (_, w) => appender(w)));
