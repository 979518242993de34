import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startGateway, type TestGateway } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

describe('palisade agent issue/list/revoke against a running gateway', () => {
  let gw: TestGateway;
  const env = (): Record<string, string> => ({ PALISADE_DATA_DIR: gw.dataDir });
  const echo = (token: string) => call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'echo', args: { text: 'from cli agent' } } });

  before(async () => {
    gw = await startGateway();
  });
  after(() => gw.stop(true));

  test('issue prints a token once that the gateway accepts for the scoped tools only', async () => {
    const r = await runCli(['agent', 'issue', 'cli-bot', '--tools', 'echo,hash.*', '--ttl', '600'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'stdout holds only the token');
    const token = lines[0] ?? '';
    assert.match(r.stderr, /shown only once/);
    const ok = await echo(token);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.status, 'ok');
    assert.deepEqual(ok.body.result, { text: 'from cli agent' });
    const outOfScope = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'text.transform', args: { text: 'a', op: 'upper' } } });
    assert.equal(outOfScope.status, 403);
  });

  test('list shows the agent, its tools and expiry, never a token', async () => {
    const r = await runCli(['agent', 'list', '--json'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const { agents } = JSON.parse(r.stdout) as { agents: Array<{ agent_id: string; tools: string[]; expires_at: string; created_by: string }> };
    const bot = agents.find((a) => a.agent_id === 'cli-bot');
    assert.ok(bot);
    assert.deepEqual(bot.tools, ['echo', 'hash.*']);
    assert.equal(bot.created_by, 'cli');
    const ttl = Date.parse(bot.expires_at) - Date.now();
    assert.ok(ttl > 500_000 && ttl <= 600_000, `expiry about 600 s ahead, got ${ttl} ms`);
    assert.ok(!r.stdout.includes('pal_'), 'no token material in the listing');
    const table = await runCli(['agent', 'list'], { env: env() });
    assert.match(table.stdout, /^AGENT\s+TOOLS\s+EXPIRES/m);
    assert.match(table.stdout, /^cli-bot\s+echo,hash\.\*/m);
  });

  test('issuing an existing agent id exits 1', async () => {
    const r = await runCli(['agent', 'issue', 'cli-bot', '--tools', 'echo'], { env: env() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exists/);
  });

  test('revoke makes the token fail with 401 at once; revoking again exits 1', async () => {
    const issued = await runCli(['agent', 'issue', 'cli-bot-2', '--tools', 'echo', '--json'], { env: env() });
    assert.equal(issued.code, 0, issued.stderr);
    const { token, agent_id } = JSON.parse(issued.stdout) as { token: string; agent_id: string };
    assert.equal(agent_id, 'cli-bot-2');
    assert.equal((await echo(token)).status, 200);
    const r = await runCli(['agent', 'revoke', 'cli-bot-2'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await echo(token)).status, 401);
    const again = await runCli(['agent', 'revoke', 'cli-bot-2'], { env: env() });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no agent "cli-bot-2"/);
  });

  test('bad tool globs, ids and TTLs are usage errors (exit 2) and create nothing', async () => {
    for (const args of [
      ['agent', 'issue', 'x1', '--tools', 'echo;rm'],
      ['agent', 'issue', 'x1', '--tools', ''],
      ['agent', 'issue', 'x1', '--tools', 'echo,echo'],
      ['agent', 'issue', 'x1'],
      ['agent', 'issue', 'x1', '--tools', 'echo', '--ttl', '59'],
      ['agent', 'issue', 'x1', '--tools', 'echo', '--ttl', '1e3'],
      ['agent', 'issue', '-bad', '--tools', 'echo'],
      ['agent', 'issue', 'bad id', '--tools', 'echo'],
    ]) {
      const r = await runCli(args, { env: env() });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    const list = await runCli(['agent', 'list', '--json'], { env: env() });
    assert.ok(!(JSON.parse(list.stdout) as { agents: Array<{ agent_id: string }> }).agents.some((a) => a.agent_id === 'x1'));
  });
});
