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

test('palisade policy test FILE.yaml: a good YAML file passes, a wrong one exits 1 with a diff; an alias flood or a custom tag exits 2 with a clear error', async () => {
  const dir = tempDir('palisade-cli-policy-yaml-');
  const yaml = (extraCase = ''): string => `policy:
  rules: [{ id: open, effect: allow, agents: ["*"], tools: ["*"] }]
  taint: [{ id: no-exfil, on: [reads:secret], block: [writes:external], window_seconds: 600 }]
tools:
  vault.read: { tags: [reads:secret] }
  web.post: { tags: [writes:external] }
cases:
  - name: read then write
    agent: bot
    history: [{ tool: vault.read, ago_seconds: 30 }]
    call: { tool: web.post }
    expect: deny
    rule_id: no-exfil
${extraCase}`;
  const good = join(dir, 'good.yaml');
  writeFileSync(good, yaml());
  const ok = await runCli(['policy', 'test', good]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /ok {4}read then write: deny \(no-exfil\)\n1 passed, 0 failed/);

  const wrong = join(dir, 'wrong.yml');
  writeFileSync(wrong, yaml('  - { name: wrongly expected, agent: bot, history: [{ tool: vault.read }], call: { tool: web.post }, expect: allow }\n'));
  const bad = await runCli(['policy', 'test', wrong]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /FAIL {2}wrongly expected\n {2}- expected: allow\n {2}\+ got: {6}deny \(no-exfil\)/);

  const rows = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 9; i++) rows.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  const bombFile = join(dir, 'bomb.yaml');
  writeFileSync(bombFile, `${rows.join('\n')}\n${yaml()}`);
  const bomb = await runCli(['policy', 'test', bombFile], { timeoutMs: 30_000 });
  assert.equal(bomb.code, 2, bomb.stdout + bomb.stderr);
  assert.match(bomb.stderr, /bomb\.yaml: YAML: \d+ aliases \(more than 64\): an alias flood is refused/);

  const tagFile = join(dir, 'tag.yaml');
  writeFileSync(tagFile, yaml().replace('name: read then write', 'name: !!js/function "function () { process.exit(9) }"'));
  const tagged = await runCli(['policy', 'test', tagFile]);
  assert.equal(tagged.code, 2, tagged.stdout + tagged.stderr);
  assert.match(tagged.stderr, /tag\.yaml: YAML: Unresolved tag: tag:yaml\.org,2002:js\/function/);
  assert.equal(tagged.stdout, '', 'no case ran');
});
