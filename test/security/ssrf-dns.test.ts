/**
 * SSRF through the production resolver, not an injected function: the egress is pointed at a
 * loopback DNS server started here (`dnsServers`, the resolver's server address), and the
 * connector resolves and checks real DNS answers. Only 127.0.0.1 is ever really dialed; any
 * other address is recorded and failed by the test connector without sending a packet.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildConnector } from 'undici';
import { createEgress, type Egress } from '../../providers/egress/dispatcher.ts';
import { isEgressError } from '../../providers/egress/errors.ts';
import { startDnsServer, type DnsServer } from '../support/dns-server.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

const dials: string[] = [];
const real = buildConnector({ timeout: 5_000 });
const countingConnector: buildConnector.connector = (opts, cb) => {
  dials.push(opts.hostname);
  if (opts.hostname !== '127.0.0.1') {
    cb(new Error(`test connector refused to dial ${opts.hostname}`), null);
    return;
  }
  real(opts, cb);
};

const ZONE: Record<string, { A: (n: number) => string[]; AAAA: (n: number) => string[] }> = {
  // public first, private after it: a check of only the first record lets it through
  'mixed4.dns': { A: () => ['8.8.8.8', '10.0.0.5'], AAAA: () => [] },
  'mixed-meta.dns': { A: () => ['1.1.1.1', '8.8.4.4', '169.254.169.254'], AAAA: () => [] },
  // public A, private AAAA: a resolver that asks only one family lets it through
  'mixed46.dns': { A: () => ['8.8.4.4'], AAAA: () => ['fd00::5'] },
  // rebinding: the first answer is the (trusted) loopback, every later one a private address
  'rebind.dns': { A: (n) => (n === 1 ? ['127.0.0.1'] : ['10.0.0.1']), AAAA: () => [] },
};

let dns: DnsServer;
let fake: FakeProvider;
let egress: Egress;

const isDenied = (error: unknown): boolean => isEgressError(error) && error.code === 'EGR_ERR_DENIED';

before(async () => {
  dns = await startDnsServer((name, type, n) => ZONE[name]?.[type](n));
  fake = await startFakeProvider();
  egress = createEgress({
    allowlist: ['mixed4.dns', 'mixed-meta.dns', 'mixed46.dns', 'rebind.dns'].map((h) => `http://${h}:${fake.port}`),
    timeoutMs: 10_000,
    maxResponseBytes: 1 << 20,
    dnsServers: [dns.address],
    connector: countingConnector,
    trustedAddresses: ['127.0.0.1'],
  });
});

after(async () => {
  await egress.close();
  await fake.close();
  await dns.close();
});

for (const name of ['mixed4.dns', 'mixed-meta.dns', 'mixed46.dns']) {
  test(`${name}: a public and a private record from the real resolver → EGR_ERR_DENIED, nothing dialed`, async () => {
    dials.length = 0;
    const seen = dns.queries.length;
    await assert.rejects(egress.request(`http://${name}:${fake.port}/v1/chat/completions`, { method: 'POST', body: '{}' }), isDenied);
    assert.deepEqual(dials, [], 'no socket was dialed');
    const asked = dns.queries.slice(seen);
    assert.ok(asked.includes(`${name} A`) && asked.includes(`${name} AAAA`), `both families were asked: ${asked.join(', ')}`);
  });
}

test('rebinding: the first lookup (loopback, trusted) is served; the next lookup answers 10.0.0.1 → refused, never dialed', async () => {
  dials.length = 0;
  const url = `http://rebind.dns:${fake.port}/v1/chat/completions`;
  const body = JSON.stringify({ model: 'm', messages: [] });
  const first = await egress.request(url, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body });
  assert.equal(first.status, 200, 'the real resolver path works: the first answer was checked and dialed');
  await first.text();
  assert.deepEqual(dials, ['127.0.0.1']);
  await assert.rejects(egress.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }), isDenied);
  assert.deepEqual(dials, ['127.0.0.1'], 'the rebound address was never dialed');
  assert.equal(dns.queries.filter((q) => q === 'rebind.dns A').length, 2, 'the second connection really looked the name up again');
});
