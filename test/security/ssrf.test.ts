import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildConnector, fetch as undiciFetch } from 'undici';
import { createEgress, type Egress, type Resolver } from '../../providers/egress/dispatcher.ts';
import { EgressError } from '../../providers/egress/errors.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

// Every dial goes through this connector. Only 127.0.0.1 is ever really dialed; any other
// address is recorded and failed without sending a packet, so a policy bug shows up as a
// recorded dial instead of traffic leaving the machine.
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

const lookups: string[] = [];
const DNS: Record<string, string[]> = {
  'rebind.test': ['10.0.0.1'],
  'mixed.test': ['8.8.8.8', '192.168.1.1'],
  'meta.test': ['169.254.169.254'],
  'v6mapped.test': ['::ffff:127.0.0.1'],
  'loopname.test': ['127.0.0.1'],
  'ula.test': ['fc00::1'],
  'nat64.test': ['64:ff9b::a00:1'],
  'empty.test': [],
  'pinned.test': ['127.0.0.1'],
};
const resolver: Resolver = async (hostname) => {
  lookups.push(hostname);
  const list = DNS[hostname];
  if (!list) throw new Error(`no test DNS entry for ${hostname}`);
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

let fake: FakeProvider;
let egress: Egress;

before(async () => {
  fake = await startFakeProvider();
  const p = fake.port;
  egress = createEgress({
    allowlist: [
      'https://api.openai.com',
      'https://api.anthropic.com',
      fake.origin,
      `http://rebind.test:${p}`,
      `http://mixed.test:${p}`,
      'https://meta.test',
      `http://v6mapped.test:${p}`,
      `http://loopname.test:${p}`,
      `http://ula.test:${p}`,
      `http://nat64.test:${p}`,
      `http://empty.test:${p}`,
      `http://169.254.169.254:${p}`,
      `http://0.0.0.0:${p}`,
      `http://pinned.test:${p}`,
    ],
    timeoutMs: 10_000,
    maxResponseBytes: 1 << 20,
    lookup: resolver,
    connector: countingConnector,
    trustedAddresses: [], // pinned.test gets its own egress below
  });
});

after(async () => {
  await egress.close();
  await fake.close();
});

function battery(p: number): string[] {
  return [
    'http://127.1',
    'http://2130706433',
    'http://0x7f.1',
    'http://0177.0.0.1',
    'http://0x7f000001',
    'http://[::ffff:127.0.0.1]',
    'http://[::ffff:a9fe:a9fe]/latest/meta-data',
    'http://[::1]',
    'http://[::]',
    'http://169.254.169.254/latest/meta-data',
    `http://169.254.169.254:${p}/latest/meta-data`, // explicitly allowlisted, still never dialed
    `http://0.0.0.0:${p}/`, // explicitly allowlisted, still never dialed
    'http://[fd00:ec2::254]',
    'http://100.64.0.1',
    'http://0.0.0.0',
    'http://10.0.0.1',
    'http://172.16.0.1',
    'http://192.168.1.1',
    'http://[fe80::1]',
    'http://224.0.0.1',
    'http://255.255.255.255',
    `http://rebind.test:${p}/`, // allowlisted name resolving to 10.0.0.1
    `http://mixed.test:${p}/`, // one public and one private record
    'https://meta.test/latest/meta-data', // name resolving to the metadata address
    `http://v6mapped.test:${p}/`, // name resolving to ::ffff:127.0.0.1
    `http://loopname.test:${p}/`, // name resolving to loopback
    `http://ula.test:${p}/`, // name resolving to unique-local IPv6
    `http://nat64.test:${p}/`, // name resolving to NAT64 form of 10.0.0.1
    `http://empty.test:${p}/`, // name with no records
    `http://localhost:${p}/`,
    'file:///etc/passwd',
    `gopher://127.0.0.1:${p}/_GET`,
    'data:text/plain,hello',
    'ftp://api.openai.com/',
    'https://api.openai.com@evil.example/',
    'https://user:pass@api.openai.com/',
    `http://127.0.0.1:${p}@evil.example/`,
    'https://api.openai.com\\@evil.example/',
    'https://api.openai.com.evil.com/',
    'HTTPS://API.OPENAI.COM.EVIL.COM/',
    'https://api.openai.com./',
    'https://api.openai.com:444/',
    'http://api.openai.com/',
    'https://\u0430pi.openai.com/', // Cyrillic a (IDNA lookalike)
    'https://evil.example/',
    'https://api.openai.com%2eevil.com/',
  ];
}

test('SSRF battery: every URL is refused with EGR_ERR_DENIED and no socket is dialed', async () => {
  const urls = battery(fake.port);
  assert.ok(urls.length >= 30);
  const before = fake.connections;
  for (const url of urls) {
    dials.length = 0;
    await assert.rejects(
      egress.request(url, { method: 'POST', body: '{}' }),
      (error: unknown) => error instanceof EgressError && error.code === 'EGR_ERR_DENIED',
      `expected refusal for ${url}`,
    );
    assert.deepEqual(dials, [], `a socket was dialed for ${url}`);
  }
  assert.equal(fake.connections, before, 'the local listener saw no connection');
  assert.deepEqual(
    [...new Set(lookups)].sort(),
    ['empty.test', 'loopname.test', 'meta.test', 'mixed.test', 'nat64.test', 'rebind.test', 'ula.test', 'v6mapped.test'],
    'only allowlisted names were ever resolved',
  );
});

test('a 302 from an explicitly allowlisted origin to 10.0.0.1 is refused and never followed', async () => {
  fake.mode = { kind: 'redirect', location: 'http://10.0.0.1/latest/meta-data' };
  try {
    dials.length = 0;
    await assert.rejects(egress.request(`${fake.origin}/v1/chat/completions`), (e: unknown) => e instanceof EgressError && e.code === 'EGR_ERR_REDIRECT_REFUSED');
    assert.deepEqual(dials, ['127.0.0.1']);
    // Even a client that follows redirects through the shared dispatcher gets each hop re-checked.
    dials.length = 0;
    await assert.rejects(undiciFetch(`${fake.origin}/v1/chat/completions`, { dispatcher: egress.dispatcher }));
    assert.ok(!dials.includes('10.0.0.1'), `dials: ${dials.join(',')}`);
  } finally {
    fake.mode = { kind: 'ok' };
  }
});

test('the dispatcher refuses a non-allowlisted origin even when used directly with undici.fetch', async () => {
  dials.length = 0;
  await assert.rejects(undiciFetch('http://127.0.0.2:9/', { dispatcher: egress.dispatcher }));
  await assert.rejects(undiciFetch(`http://rebind.test:${fake.port}/`, { dispatcher: egress.dispatcher }));
  assert.deepEqual(dials, []);
});

test('an allowlisted name is dialed at the checked IP while the Host header keeps the name', async () => {
  const pinnedEgress = createEgress({
    allowlist: [`http://pinned.test:${fake.port}`],
    timeoutMs: 10_000,
    maxResponseBytes: 1 << 20,
    lookup: resolver,
    connector: countingConnector,
    trustedAddresses: ['127.0.0.1'],
  });
  try {
    dials.length = 0;
    const res = await pinnedEgress.request(`http://pinned.test:${fake.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    assert.equal(res.status, 200);
    await res.text();
    assert.deepEqual(dials, ['127.0.0.1']);
    assert.equal(fake.received.at(-1)?.headers['host'], `pinned.test:${fake.port}`);
  } finally {
    await pinnedEgress.close();
  }
});

test('an explicitly allowlisted loopback origin is reachable, also when written in upper case', async () => {
  const seen = fake.received.length;
  const res = await egress.request(`HTTP://127.0.0.1:${fake.port}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm', messages: [] }),
  });
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(fake.received.length, seen + 1);
});

test('when the first checked address fails to connect, only the next CHECKED address is tried', async () => {
  DNS['multi.test'] = ['127.0.0.2', '127.0.0.1'];
  const multi = createEgress({
    allowlist: [`http://multi.test:${fake.port}`],
    timeoutMs: 10_000,
    maxResponseBytes: 1 << 20,
    lookup: resolver,
    connector: countingConnector,
    trustedAddresses: ['127.0.0.1', '127.0.0.2'],
  });
  try {
    dials.length = 0;
    const res = await multi.request(`http://multi.test:${fake.port}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
    assert.equal(res.status, 200);
    await res.text();
    assert.deepEqual(dials, ['127.0.0.2', '127.0.0.1']);
  } finally {
    await multi.close();
  }
});
