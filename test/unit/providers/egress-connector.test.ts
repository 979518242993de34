// The pinning connect step on its own: which addresses a connection may go to (every record
// checked, IP literals, DNS failure, no records), the production resolver against a loopback
// DNS server (both families, one family failing), and the connector's dial order and SNI.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import net, { type AddressInfo } from 'node:net';
import { buildConnector } from 'undici';
import { denied, pinnedAddresses, pinningConnector, systemResolver, type Resolver } from '../../../providers/egress/connector.ts';
import { isEgressError } from '../../../providers/egress/errors.ts';
import { parseAllowlist } from '../../../providers/egress/policy.ts';
import { startDnsServer } from '../../support/dns-server.ts';

function allow(...entries: string[]) {
  const r = parseAllowlist(entries);
  assert.ok(r.ok);
  return r.allowlist;
}
const fixed = (...addresses: string[]): Resolver => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const none = new Set<string>();
async function refused(p: Promise<unknown>, code: string, summary?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isEgressError(e), String(e));
    assert.equal(e.code, code);
    if (summary !== undefined) assert.match(e.logSummary, summary);
    return true;
  });
}

test('denied() carries the deny code and reason in the log summary', () => {
  const e = denied({ ok: false, code: 'EGRESS_ADDRESS', reason: 'address class private' });
  assert.equal(e.code, 'EGR_ERR_DENIED');
  assert.equal(e.logSummary, 'EGRESS_ADDRESS: address class private');
});

test('pinnedAddresses: every record must pass; duplicates and spellings collapse; SNI keeps the name', async () => {
  const list = allow('https://api.example:443', 'http://api.example:8080');
  const target = { hostname: 'api.example', protocol: 'https:', port: '' };
  assert.deepEqual(await pinnedAddresses(target, list, fixed('8.8.8.8', '1.1.1.1', '8.8.8.8'), none), { ips: ['8.8.8.8', '1.1.1.1'], servername: 'api.example' });
  assert.deepEqual(await pinnedAddresses(target, list, fixed('2001:4860:4860:0:0:0:0:8888'), none), { ips: ['2001:4860:4860::8888'], servername: 'api.example' });
  assert.deepEqual((await pinnedAddresses({ ...target, protocol: 'http:', port: '8080' }, list, fixed('8.8.8.8'), none)).ips, ['8.8.8.8'], 'the port is part of the origin');
  await refused(pinnedAddresses({ ...target, protocol: 'http:', port: '8081' }, list, fixed('8.8.8.8'), none), 'EGR_ERR_DENIED', /^EGRESS_NOT_ALLOWLISTED/);
  await refused(pinnedAddresses({ ...target, hostname: 'other.example' }, list, fixed('8.8.8.8'), none), 'EGR_ERR_DENIED', /not allowlisted/);
  for (const bad of [['8.8.8.8', '10.0.0.5'], ['10.0.0.5', '8.8.8.8'], ['8.8.8.8', '169.254.169.254'], ['fd00::1'], ['127.0.0.1']]) {
    await refused(pinnedAddresses(target, list, fixed(...bad), none), 'EGR_ERR_DENIED', /^EGRESS_ADDRESS/);
  }
  await refused(pinnedAddresses(target, list, fixed(), none), 'EGR_ERR_DENIED', /^EGRESS_NO_ADDRESS: no addresses$/);
  await refused(pinnedAddresses(target, list, async () => { throw new Error('SERVFAIL'); }, none), 'EGR_ERR_DNS', /^dns resolution failed$/);
});

test('pinnedAddresses: trusted private addresses open only for hostnames; metadata never', async () => {
  const list = allow('http://local.model:11434');
  const target = { hostname: 'local.model', protocol: 'http:', port: '11434' };
  const trusted = new Set(['10.0.0.7', '169.254.169.254']);
  assert.deepEqual(await pinnedAddresses(target, list, fixed('10.0.0.7'), trusted), { ips: ['10.0.0.7'], servername: 'local.model' });
  await refused(pinnedAddresses(target, list, fixed('10.0.0.7', '10.0.0.8'), trusted), 'EGR_ERR_DENIED', /^EGRESS_ADDRESS/);
  await refused(pinnedAddresses(target, list, fixed('169.254.169.254'), trusted), 'EGR_ERR_DENIED', /^EGRESS_ADDRESS/);
});

test('pinnedAddresses: an allowlisted IP literal is dialed as is, without DNS or SNI; never-open classes stay shut', async () => {
  const list = allow('http://127.0.0.1:11434', 'http://[::1]:8080', 'http://169.254.169.254:80', 'http://[fd00::1]:9000');
  let asked = 0;
  const counting: Resolver = async () => { asked++; return []; };
  assert.deepEqual(await pinnedAddresses({ hostname: '127.0.0.1', protocol: 'http:', port: '11434' }, list, counting, none), { ips: ['127.0.0.1'] });
  assert.deepEqual(await pinnedAddresses({ hostname: '::1', protocol: 'http:', port: '8080' }, list, counting, none), { ips: ['::1'] }, 'an unbracketed IPv6 hostname');
  assert.deepEqual(await pinnedAddresses({ hostname: '[fd00::1]', protocol: 'http:', port: '9000' }, list, counting, none), { ips: ['fd00::1'] }, 'a bracketed one');
  assert.equal(asked, 0, 'no DNS for a literal');
  await refused(pinnedAddresses({ hostname: '169.254.169.254', protocol: 'http:', port: '' }, list, counting, none), 'EGR_ERR_DENIED', /^EGRESS_ADDRESS: address class metadata$/);
  await refused(pinnedAddresses({ hostname: '127.0.0.2', protocol: 'http:', port: '11434' }, list, counting, none), 'EGR_ERR_DENIED', /not allowlisted/);
});

test('systemResolver: without servers the system lookup; with servers both families are asked and one may fail', async (t) => {
  const dns = await startDnsServer((name, type) => {
    if (name === 'both.test') return type === 'A' ? ['8.8.8.8', '10.0.0.5'] : ['2001:db8::1'];
    if (name === 'v4only.test') return type === 'A' ? ['1.1.1.1'] : undefined;
    if (name === 'v6only.test') return type === 'AAAA' ? ['2001:db8::2'] : undefined;
    return undefined;
  });
  t.after(() => dns.close());
  const r = systemResolver([dns.address]);
  assert.deepEqual(await r('both.test'), [{ address: '8.8.8.8', family: 4 }, { address: '10.0.0.5', family: 4 }, { address: '2001:db8::1', family: 6 }]);
  assert.ok(dns.queries.includes('both.test A') && dns.queries.includes('both.test AAAA'));
  assert.deepEqual(await r('v4only.test'), [{ address: '1.1.1.1', family: 4 }]);
  assert.deepEqual(await r('v6only.test'), [{ address: '2001:db8::2', family: 6 }]);
  await assert.rejects(r('nowhere.test'), 'both families failing is a failure');
  const sys = systemResolver([]);
  const local = await sys('localhost');
  assert.ok(local.length >= 1 && local.every((a) => a.address === '127.0.0.1' || a.address === '::1'), JSON.stringify(local));
  assert.equal(systemResolver(), sys, 'no servers: the one system lookup');
  const list = allow('http://both.test:80');
  await refused(pinnedAddresses({ hostname: 'both.test', protocol: 'http:', port: '' }, list, r, none), 'EGR_ERR_DENIED', /address class private/);
});

test('pinningConnector: dials the checked IPs in order with SNI, moves on only after a failed dial, refuses before dialing', async (t) => {
  const server = net.createServer((sock) => sock.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = String((server.address() as AddressInfo).port);
  const dials: { hostname: string; servername: string | undefined }[] = [];
  const real = buildConnector({ timeout: 5_000 });
  const base: buildConnector.connector = (opts, cb) => {
    dials.push({ hostname: opts.hostname, servername: Object.hasOwn(opts, 'servername') ? opts.servername ?? 'null' : 'absent' });
    real(opts, cb);
  };
  // 127.0.0.2 and .3 are loopback but nothing listens there: the dial is refused at once
  const trusted = new Set(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  const list = allow(`http://model.local:${port}`, `http://127.0.0.1:${port}`);
  const run = (connect: buildConnector.connector, hostname: string) => new Promise<{ err: Error | null; socket: net.Socket | null }>((resolve) => {
    connect({ hostname, host: hostname, protocol: 'http:', port } as buildConnector.Options, (err, socket) => resolve({ err, socket: socket as net.Socket | null }));
  });
  const ok = await run(pinningConnector(list, fixed('127.0.0.2', '127.0.0.1', '127.0.0.3'), trusted, base), 'model.local');
  assert.equal(ok.err, null);
  assert.equal(ok.socket?.remoteAddress, '127.0.0.1');
  ok.socket?.destroy();
  assert.deepEqual(dials, [{ hostname: '127.0.0.2', servername: 'model.local' }, { hostname: '127.0.0.1', servername: 'model.local' }], 'stops at the first dial that connects');
  dials.length = 0;
  const allFail = await run(pinningConnector(list, fixed('127.0.0.2', '127.0.0.3'), trusted, base), 'model.local');
  assert.deepEqual(dials.map((d) => d.hostname), ['127.0.0.2', '127.0.0.3']);
  assert.match(String(allFail.err?.message), /127\.0\.0\.3/, 'the last dial\'s failure is reported');
  assert.equal(allFail.socket ?? null, null, 'no socket');
  dials.length = 0;
  const literal = await run(pinningConnector(list, fixed(), none, base), '127.0.0.1');
  assert.equal(literal.err, null);
  literal.socket?.destroy();
  assert.deepEqual(dials, [{ hostname: '127.0.0.1', servername: 'absent' }], 'a literal: no SNI key set');
  dials.length = 0;
  const foreign = await run(pinningConnector(list, fixed('127.0.0.1'), trusted, base), 'evil.example');
  assert.deepEqual(dials, []);
  assert.ok(isEgressError(foreign.err) && foreign.err.code === 'EGR_ERR_DENIED');
  const mixed = await run(pinningConnector(list, fixed('127.0.0.1', '10.0.0.1'), trusted, base), 'model.local');
  assert.deepEqual(dials, [], 'one refused record: nothing is dialed');
  assert.ok(isEgressError(mixed.err) && mixed.err.code === 'EGR_ERR_DENIED');
  const thrown = await run(pinningConnector(list, async () => { throw new Error('SERVFAIL'); }, trusted, base), 'model.local');
  assert.ok(isEgressError(thrown.err) && thrown.err.code === 'EGR_ERR_DNS');
  assert.deepEqual(dials, []);
});
