import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAudit, AUDIT_MIGRATIONS } from '../../agent-gateway/audit/index.ts';
import { backoffDelay, createShipper } from '../../agent-gateway/audit/shipper.ts';
import { openDatabase } from '../../agent-gateway/store/db.ts';
import { capturingLogger, tempDataDir } from '../support/audit-fixtures.ts';
import { httpPost, startReceiver, type Receiver } from '../support/audit-receiver.ts';

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Seqs in order of first arrival. */
function firstArrivals(r: Receiver): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (const b of r.batches) for (const s of b.seqs) if (!seen.has(s)) { seen.add(s); out.push(s); }
  return out;
}

test('a receiver down for a while then back gets every line at least once, in order', { timeout: 120_000 }, async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  // reserve a port, then take the receiver down
  const probe = await startReceiver();
  const port = probe.port;
  await probe.close();
  const logger = capturingLogger();
  const shipper = createShipper({
    source: audit.source, url: `http://127.0.0.1:${port}/ingest`, post: httpPost, logger,
    batchSize: 7, initialBackoffMs: 10, maxBackoffMs: 100, pollMs: 20, subscribe: (l) => audit.log.onAppend(l),
  });
  t.after(() => shipper.stop());
  for (let i = 1; i <= 30; i += 1) await audit.log.append({ type: 'tool.call', actor: 'agent:a', outcome: 'ok', data: { i } });
  shipper.start();
  await until(() => shipper.failures >= 3, 'failed attempts while the receiver is down');
  assert.equal(shipper.cursor(), 0);
  for (let i = 31; i <= 45; i += 1) await audit.log.append({ type: 'tool.call', actor: 'agent:a', outcome: 'ok', data: { i } });
  const receiver = await startReceiver(port);
  t.after(() => receiver.close());
  receiver.failNext(2); // flaky on its way back up
  await until(() => shipper.cursor() === 45, 'catch-up');
  for (let i = 46; i <= 50; i += 1) await audit.log.append({ type: 'tool.call', actor: 'agent:a', outcome: 'ok', data: { i } });
  await until(() => shipper.cursor() === 50, 'new lines shipped');
  assert.deepEqual(firstArrivals(receiver), Array.from({ length: 50 }, (_, i) => i + 1));
  for (const b of receiver.batches) {
    assert.deepEqual(b.seqs, [...b.seqs].sort((x, y) => x - y));
    assert.equal(b.headers['content-type'], 'application/x-ndjson');
    assert.equal(b.headers['x-palisade-audit-first-seq'], String(b.seqs[0]));
  }
  assert.ok(logger.warnings.some((w) => /shipping failed/.test(w.message)));
});

test('the cursor is persisted (0600): a restarted shipper resumes after the last acknowledged seq', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const opts = { source: audit.source, url: `http://127.0.0.1:${receiver.port}/`, post: httpPost, logger: capturingLogger(), batchSize: 100 };
  for (let i = 1; i <= 5; i += 1) await audit.log.append({ type: 'x', actor: 'system', outcome: 'ok' });
  const first = createShipper(opts);
  assert.deepEqual(await first.shipOnce(), { status: 'sent', first: 1, last: 5 });
  assert.equal(statSync(join(dataDir, 'audit', 'shipper.cursor')).mode & 0o777, 0o600);
  for (let i = 6; i <= 8; i += 1) await audit.log.append({ type: 'x', actor: 'system', outcome: 'ok' });
  const second = createShipper(opts);
  assert.equal(second.cursor(), 5);
  assert.deepEqual(await second.shipOnce(), { status: 'sent', first: 6, last: 8 });
  assert.deepEqual(await second.shipOnce(), { status: 'idle' });
  assert.deepEqual(receiver.batches.map((b) => b.seqs), [[1, 2, 3, 4, 5], [6, 7, 8]]);
});

test('omits personal fields by default, and signs the batch with HMAC over t.body when a secret is set', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDataDir(t);
  const db = openDatabase(dataDir, [...AUDIT_MIGRATIONS]);
  t.after(() => db.close());
  const audit = openAudit({ dataDir, db, logger: capturingLogger() });
  t.after(() => audit.close());
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  await audit.log.append({ type: 'chat', actor: 'user:carol', outcome: 'ok', subject: 'carol', data: { model: 'm', pii: { ip: '10.0.0.9' } } });
  const shipper = createShipper({ source: audit.source, url: `http://127.0.0.1:${receiver.port}/`, post: httpPost, logger: capturingLogger(), secret: 's3cret' });
  assert.equal((await shipper.shipOnce()).status, 'sent');
  const batch = receiver.batches[0];
  assert.ok(batch);
  assert.doesNotMatch(batch.body, /carol|10\.0\.0\.9/);
  const line = JSON.parse(batch.body.trim());
  assert.deepEqual(line.data, { model: 'm' });
  assert.equal(line.actor, 'user:[omitted]');
  assert.match(line.subject_ref, /^[0-9a-f]{64}$/);
  const sig = String(batch.headers['x-palisade-signature']);
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
  assert.ok(m);
  assert.equal(m[2], createHmac('sha256', 's3cret').update(`${m[1]}.${batch.body}`).digest('hex'));
});

test('retry backoff doubles from the initial delay and is capped', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map((a) => backoffDelay(a, 100, 1000)), [100, 200, 400, 800, 1000, 1000, 1000]);
});
