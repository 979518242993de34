/** Issue 22: a load run records every answer by status, so the bench can say what the unexpected ones were. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatStatuses, runLoad } from '../../../scripts/bench/load.ts';

test('formatStatuses lists every non-zero status sorted', () => {
  assert.equal(formatStatuses({ 503: 9, 200: 1601, 429: 0 }), '200×1601 503×9');
  assert.equal(formatStatuses({}), '');
});

test('runLoad counts answers per status and the unexpected ones', async (t) => {
  let n = 0;
  const server = http.createServer((_req, res) => {
    n++;
    res.statusCode = n % 4 === 0 ? 503 : 200;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const r = await runLoad({ url: `http://127.0.0.1:${String(port)}/`, method: 'GET', connections: 1, durationSeconds: 1, expectStatus: 200 });
  const ok = r.statuses['200'] ?? 0;
  const bad = r.statuses['503'] ?? 0;
  assert.ok(ok > 0 && bad > 0, JSON.stringify(r.statuses));
  assert.equal(r.expected, ok);
  assert.equal(r.unexpected, bad);
  assert.equal(r.total, ok + bad);
});
