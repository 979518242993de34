/**
 * Write-failure child: run under `ulimit -f` so the audit file hits a real EFBIG. Appends
 * until an append rejects, then prints one JSON line: the acknowledged seqs, the rejection
 * code, the failure-hook codes, and the outcome of one more small append after the rollback.
 * argv: <dataDir>
 */
import { openAudit } from '../../agent-gateway/audit/index.ts';

process.on('SIGXFSZ', () => {}); // turn the signal into a plain EFBIG error from write()
const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: audit-fsize-child.ts <dataDir>');
const hooks: string[] = [];
const audit = openAudit({ dataDir, logger: { warn: () => {} }, checkpointEvery: 1_000_000, onFailure: (e) => hooks.push(e.code) });
const acked: number[] = [];
let code = '';
outer: for (let round = 0; round < 10_000; round += 1) {
  const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) =>
    audit.log.append({ type: 'fill', actor: 'system', outcome: 'ok', data: { round, i, pad: 'x'.repeat(200) } })));
  for (const r of results) {
    if (r.status === 'fulfilled') acked.push(r.value.seq);
    else code = (r.reason as { code?: string }).code ?? String(r.reason);
  }
  if (code !== '') break outer;
}
// the failed batch was rolled back: a small line may still fit, and must then be acknowledged
const again = await audit.log.append({ type: 'again', actor: 'system', outcome: 'ok' }).then(
  ({ seq }) => { acked.push(seq); return 'ok'; },
  (e: { code?: string }) => e.code ?? 'error',
);
process.stdout.write(`${JSON.stringify({ acked, code, hooks, again })}\n`);
