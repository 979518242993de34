import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { call, startGateway, tempDir, type TestGateway } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

const ALICE_PW = 'alice cli password 1';
const ALICE_PW2 = 'alice cli password 2';

describe('palisade admin create/passwd against the data dir a gateway uses', () => {
  let dataDir: string;
  let gw: TestGateway;
  const env = (): Record<string, string> => ({ PALISADE_DATA_DIR: dataDir });

  before(async () => {
    dataDir = tempDir('palisade-cli-admin-');
    const created = await runCli(['admin', 'create', 'alice', '--role', 'admin'], { env: env(), input: `${ALICE_PW}\n` });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created admin "alice"/);
    gw = await startGateway({ dataDir });
  });
  after(async () => {
    await gw.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('an admin created by the CLI (password on stdin) logs in over HTTP and has admin rights', async () => {
    const login = await call(gw.url, 'POST', '/admin/login', { body: { username: 'alice', password: ALICE_PW } });
    assert.equal(login.status, 200, login.text);
    const users = await call(gw.url, 'GET', '/admin/users', { token: login.body.token });
    assert.equal(users.status, 200);
    assert.ok(users.body.users.some((u: { username: string; role: string }) => u.username === 'alice' && u.role === 'admin'));
    const wrong = await call(gw.url, 'POST', '/admin/login', { body: { username: 'alice', password: 'not the password' } });
    assert.equal(wrong.status, 401);
  });

  test('a --role user account logs in but gets 403 on admin routes', async () => {
    const r = await runCli(['admin', 'create', 'bob', '--role', 'user'], { env: env(), input: 'bob cli password 1\n' });
    assert.equal(r.code, 0, r.stderr);
    const login = await call(gw.url, 'POST', '/admin/login', { body: { username: 'bob', password: 'bob cli password 1' } });
    assert.equal(login.status, 200);
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token: login.body.token })).status, 403);
  });

  test('refuses an existing username with exit 1 and leaves its password unchanged', async () => {
    const r = await runCli(['admin', 'create', 'alice'], { env: env(), input: 'another password 123\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exists/);
    const login = await call(gw.url, 'POST', '/admin/login', { body: { username: 'alice', password: ALICE_PW } });
    assert.equal(login.status, 200);
  });

  test('refuses a password given on the command line, a short one, or none, with exit 2 and creates nothing', async () => {
    const argv = await runCli(['admin', 'create', 'carol', '--password', 'carol password 1'], { env: env() });
    assert.equal(argv.code, 2);
    assert.match(argv.stderr, /never taken from the command line/);
    const short = await runCli(['admin', 'create', 'carol'], { env: env(), input: 'short\n' });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /12 to 1024 characters/);
    const empty = await runCli(['admin', 'create', 'carol'], { env: env(), input: '' });
    assert.equal(empty.code, 2);
    const twoLines = await runCli(['admin', 'create', 'carol'], { env: env(), input: 'carol password 1\nsecond line\n' });
    assert.equal(twoLines.code, 2);
    const login = await call(gw.url, 'POST', '/admin/login', { body: { username: 'carol', password: 'carol password 1' } });
    assert.equal(login.status, 401);
  });

  test('refuses an invalid username or role with exit 2', async () => {
    assert.equal((await runCli(['admin', 'create', 'Bad Name'], { env: env(), input: 'long enough pw 1\n' })).code, 2);
    assert.equal((await runCli(['admin', 'create', 'dave', '--role', 'root'], { env: env(), input: 'long enough pw 1\n' })).code, 2);
  });

  test('passwd changes the password and revokes the live sessions of that user on the running gateway', async () => {
    const before = await call(gw.url, 'POST', '/admin/login', { body: { username: 'alice', password: ALICE_PW } });
    assert.equal(before.status, 200);
    const token = before.body.token as string;
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token })).status, 200);

    const r = await runCli(['admin', 'passwd', 'alice', '--password-stdin'], { env: env(), input: `${ALICE_PW2}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /session\(s\) revoked/);

    assert.equal((await call(gw.url, 'GET', '/admin/users', { token })).status, 401, 'old access token revoked');
    const refresh = await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: before.body.refresh_token } });
    assert.equal(refresh.status, 401, 'old refresh token revoked');
    assert.equal((await call(gw.url, 'POST', '/admin/login', { body: { username: 'alice', password: ALICE_PW } })).status, 401);
    assert.equal((await call(gw.url, 'POST', '/admin/login', { body: { username: 'alice', password: ALICE_PW2 } })).status, 200);
  });

  test('passwd for an unknown user exits 1', async () => {
    const r = await runCli(['admin', 'passwd', 'nobody'], { env: env(), input: 'long enough pw 1\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no user "nobody"/);
  });
});
