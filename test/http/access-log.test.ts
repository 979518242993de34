/**
 * Issue 18.6: one access line per request at info (method, route pattern, status, duration,
 * request id; never the token, password or body), routine worker lifecycle at info not warn,
 * and the admin created through /admin/setup is logged and audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, workerLogLevel } from '../../agent-gateway/logger.ts';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

interface Line { level: string; msg: string; [k: string]: unknown }
const lines: Line[] = [];
const printed: string[] = [];
let gw: TestGateway;
const SETUP_PASSWORD = 'first admin password 123';

before(async () => {
  gw = await startGateway({
    env: { PALISADE_ADMIN_PASSWORD: '' },
    logger: createLogger('debug', (l) => lines.push(JSON.parse(l) as Line)),
    print: (l) => printed.push(l),
  });
});
after(async () => {
  await gw.stop(true);
});

const requests = (): Line[] => lines.filter((l) => l.msg === 'request');

/** the line for one request id, waiting for the response 'finish' event to have logged it */
async function lineFor(id: string | null): Promise<Line> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = requests().filter((l) => l.request_id === id);
    if (found.length > 0) {
      assert.equal(found.length, 1, 'exactly one access line per request');
      return found[0] as Line;
    }
    if (Date.now() > deadline) throw new Error(`no access line for ${id}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('admin setup and access log', () => {
  test('the setup-token admin creation is logged and audited; the password and token are in no line', async () => {
    const tokenLine = printed.find((l) => l.includes('setup_token'));
    const token = /"setup_token":"([^"]+)"/.exec(tokenLine ?? '')?.[1];
    assert.ok(token, 'the setup command was printed');
    const res = await call(gw.url, 'POST', '/admin/setup', { body: { setup_token: token, username: 'owner', password: SETUP_PASSWORD } });
    assert.equal(res.status, 201, res.text);
    const created = lines.find((l) => l.msg === 'created the first admin through /admin/setup');
    assert.ok(created);
    assert.equal(created.level, 'info');
    assert.equal(created['username'], 'owner');
    const admin = (await loginAdmin(gw.url, SETUP_PASSWORD, 'owner')).token;
    const audit = await call(gw.url, 'GET', '/admin/audit?event=user.create', { token: admin });
    assert.equal(audit.status, 200, audit.text);
    assert.ok(JSON.stringify(audit.body).includes('"owner"'), 'user.create for the setup admin is audited');
    const setupLine = await lineFor(res.headers.get('x-request-id'));
    assert.deepEqual([setupLine.level, setupLine['method'], setupLine['route'], setupLine['status']], ['info', 'POST', '/admin/setup', 201]);
    const all = JSON.stringify(lines);
    assert.equal(all.includes(SETUP_PASSWORD), false);
    assert.equal(all.includes(token), false);
    assert.equal(all.includes(admin), false);
  });

  test('route patterns, statuses, durations and request ids; no path parameter values or query strings', async () => {
    const admin = (await loginAdmin(gw.url, SETUP_PASSWORD, 'owner')).token;
    const agent = await createAgent(gw.url, admin, 'logbot', ['echo']);
    const missing = await call(gw.url, 'GET', '/tools/calls/secret-looking-id-123?token=abc', { token: agent });
    const l1 = await lineFor(missing.headers.get('x-request-id'));
    assert.equal(l1['route'], '/tools/calls/:call_id');
    assert.equal(l1['status'], missing.status);
    assert.equal(typeof l1['duration_ms'], 'number');
    const nowhere = await call(gw.url, 'GET', '/no/such/route');
    const l2 = await lineFor(nowhere.headers.get('x-request-id'));
    assert.deepEqual([l2['method'], l2['route'], l2['status']], ['GET', null, 404]);
    const health = await call(gw.url, 'GET', '/health');
    assert.equal((await lineFor(health.headers.get('x-request-id')))['route'], '/health');
    const all = JSON.stringify(requests());
    for (const secret of ['secret-looking-id-123', 'token=abc', agent, admin]) assert.equal(all.includes(secret), false, secret);
    assert.ok(requests().every((l) => Object.keys(l).every((k) => ['ts', 'level', 'msg', 'method', 'route', 'status', 'duration_ms', 'request_id', 'aborted'].includes(k))));
  });

  test('isolate workers becoming ready are logged at info, not warn', () => {
    const ready = lines.filter((l) => l.msg === 'isolate' && / ready$/.test(String(l['line'])));
    assert.ok(ready.length >= 1);
    assert.ok(ready.every((l) => l.level === 'info'));
  });
});

test('workerLogLevel: routine lifecycle is info, failures stay warn', () => {
  assert.equal(workerLogLevel('isolate worker 123 ready'), 'info');
  assert.equal(workerLogLevel('isolate worker ended: {"code":null,"signal":"SIGTERM"}'), 'info');
  assert.equal(workerLogLevel('isolate worker ended: {"code":0,"signal":null}'), 'info');
  assert.equal(workerLogLevel('isolate worker ended: {"code":null,"signal":"SIGKILL","reason":"memory"}'), 'warn');
  assert.equal(workerLogLevel('isolate worker ended: {"code":134,"signal":null}'), 'warn');
  assert.equal(workerLogLevel('isolate worker failed to start (3 in a row): boom'), 'warn');
  assert.equal(workerLogLevel('some stderr text'), 'warn');
});
