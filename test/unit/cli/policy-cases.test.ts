import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CASE_FILE_MAX_BYTES, parseCaseFile } from '../../../scripts/cli/policy-cases.ts';

const GOOD_YAML = `
policy:
  rules:
    - { id: open, effect: allow, agents: ["*"], tools: ["*"] }
  taint:
    - id: no-exfil
      on: [reads:secret]
      block: [writes:external]
      window_seconds: 600
tools:
  vault.read: { tags: [reads:secret] }
  web.post: { tags: [writes:external] }
cases:
  - name: read then write
    agent: bot
    history: [{ tool: vault.read, ago_seconds: 30 }]
    call: { tool: web.post, args: { text: "x" } }
    expect: deny
    rule_id: no-exfil
`;

test('a YAML case file means exactly what the same JSON means', () => {
  const y = parseCaseFile(GOOD_YAML, 'yaml');
  assert.ok(y.ok, y.ok ? '' : y.problems.join('; '));
  const j = parseCaseFile(JSON.stringify(y.file), 'json');
  assert.ok(j.ok);
  assert.deepEqual(j.file, y.file);
  assert.deepEqual(y.file.cases[0]?.history, [{ tool: 'vault.read', ago_seconds: 30 }]);
});

test('a YAML alias flood (billion laughs) is refused before it expands, with a clear error', () => {
  const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) rows.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  const bomb = `${rows.join('\n')}\npolicy: { rules: [] }\ncases: [*i]\n`;
  const started = performance.now();
  const r = parseCaseFile(bomb, 'yaml');
  assert.ok(!r.ok);
  assert.match(r.problems.join('\n'), /alias flood is refused/);
  // a behavioural margin, not a speed check: the refusal takes milliseconds, expanding 9^9 nodes would take far longer (or exhaust memory)
  assert.ok(performance.now() - started < 30_000, 'refused without expanding 9^9 nodes');
  // an alias or two within the cap is plain YAML and allowed: the same case twice
  const reused = parseCaseFile(`${GOOD_YAML.replace('  - name: read then write', '  - &c\n    name: read then write')}  - *c\n`, 'yaml');
  assert.ok(reused.ok, reused.ok ? '' : reused.problems.join('; '));
  assert.equal(reused.file.cases.length, 2);
});

test('custom and explicit YAML tags are refused, naming the tag; nothing is constructed from them', () => {
  for (const tag of ['!!js/function "function () { return 1 }"', '!foo bar', '!!binary aGVsbG8=', '!!python/object:os.system ls', '!!set {x}']) {
    const r = parseCaseFile(GOOD_YAML.replace('name: read then write', `name: ${tag}`), 'yaml');
    assert.ok(!r.ok, tag);
    assert.match(r.problems.join('\n'), /tag .* is not allowed|Unresolved tag/, tag);
  }
});

test('duplicate keys, complex keys and a merge key are refused; the schema rejects what JSON would', () => {
  assert.ok(!parseCaseFile('policy: {}\npolicy: {}\ncases: []\n', 'yaml').ok, 'duplicate key');
  assert.ok(!parseCaseFile('? [a, b]\n: 1\n', 'yaml').ok, 'collection key');
  // `<<` is not a merge key here (merge off): it is an unknown key the schema refuses
  const merged = parseCaseFile(GOOD_YAML.replace('    expect: deny', '    <<: { expect: allow }\n    expect: deny'), 'yaml');
  assert.ok(!merged.ok);
  assert.match(merged.problems[0] ?? '', /additional property "<<"/);
  const bad = [
    ['expect', GOOD_YAML.replace('expect: deny', 'expect: maybe')],
    ['tag vocabulary', GOOD_YAML.replace('[reads:secret] }', '[reads:everything] }')],
    ['agent id', GOOD_YAML.replace('agent: bot', 'agent: "Bad:Id"')],
    ['ago_seconds', GOOD_YAML.replace('ago_seconds: 30', 'ago_seconds: -5')],
    ['unknown case key', GOOD_YAML.replace('expect: deny', 'expect: deny\n    surprise: 1')],
  ] as const;
  for (const [what, text] of bad) {
    const y = parseCaseFile(text, 'yaml');
    assert.ok(!y.ok, what);
    assert.match(y.problems[0] ?? '', /^\/cases\/0|^\/tools/, `${what}: ${y.ok ? '' : y.problems.join('; ')}`);
  }
  assert.ok(!parseCaseFile('{"policy":{},"cases":[{"agent":"bot","call":{"tool":"x"},"expect":"allow","__proto__":{"x":1}}]}', 'json').ok, '__proto__ is an unknown key');
  assert.ok(!parseCaseFile('{"policy":{}}', 'json').ok, 'cases are required');
  assert.ok(!parseCaseFile('{not json', 'json').ok);
});

test('a file over 1 MiB is refused before it is parsed', () => {
  const r = parseCaseFile(`# ${'x'.repeat(CASE_FILE_MAX_BYTES)}\n`, 'yaml');
  assert.ok(!r.ok);
  assert.match(r.problems[0] ?? '', /larger than 1048576 bytes/);
});
