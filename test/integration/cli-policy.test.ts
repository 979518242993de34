import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

const policy = {
  rules: [{ id: 'open', effect: 'allow', agents: ['*'], tools: ['*'] }],
  taint: [{ id: 'no-exfil', on: ['reads:secret'], block: ['writes:external'], window_seconds: 600 }],
  risk: { scores: { low: 0, medium: 10, high: 30, critical: 100 }, window_seconds: 60, escalate_at: 20, deny_at: 30 },
};
const tools = { 'vault.read': { tags: ['reads:secret'] }, 'web.post': { tags: ['writes:external'] }, 'ops.heavy': { risk: 'medium' } };
const cases = [
  { name: 'write before any read', agent: 'bot', call: { tool: 'web.post' }, expect: 'allow', rule_id: 'open' },
  { name: 'read then write', agent: 'bot', history: [{ tool: 'vault.read', ago_seconds: 30 }], call: { tool: 'web.post' }, expect: 'deny', rule_id: 'no-exfil' },
  { name: 'window passed', agent: 'bot', history: [{ tool: 'vault.read', ago_seconds: 601 }], call: { tool: 'web.post' }, expect: 'allow' },
  { name: 'third medium call escalates', agent: 'bot', history: [{ tool: 'ops.heavy' }, { tool: 'ops.heavy' }], call: { tool: 'ops.heavy' }, expect: 'require_approval', rule_id: 'risk:escalate' },
];

test('palisade policy test: a good case file passes (exit 0); a wrong expectation fails with exit 1 and a diff', async () => {
  const dir = tempDir('palisade-cli-policy-');
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ policy, tools, cases }));
  const ok = await runCli(['policy', 'test', good]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /4 passed, 0 failed/);
  const wrong = join(dir, 'wrong.json');
  writeFileSync(wrong, JSON.stringify({ policy, tools, cases: [...cases, { ...cases[1], name: 'wrongly expected', expect: 'allow' }] }));
  const bad = await runCli(['policy', 'test', wrong]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /FAIL {2}wrongly expected\n {2}- expected: allow \(no-exfil\)\n {2}\+ got: {6}deny \(no-exfil\)/);
});
