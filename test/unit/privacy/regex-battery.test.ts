/**
 * Hostile regex battery (issue 19.1): known catastrophic-backtracking patterns over long
 * adversarial inputs. Each pattern is either refused when stored (with a reason) or runs in
 * bounded time, through the public redaction and policy APIs. The input length can be lowered
 * with REGEX_BATTERY_CHARS (used to show the pre-RE2 code freezing even on ~40 characters).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePageContext, redactPageContext } from '../../../agent-gateway/privacy/redaction.ts';
import { compileRule, parseRedactionRule } from '../../../agent-gateway/privacy/rules.ts';
import { evaluate } from '../../../agent-gateway/policy/evaluate.ts';
import { validatePolicy } from '../../../agent-gateway/policy/validate.ts';

const N = Number(process.env['REGEX_BATTERY_CHARS'] ?? 50_000);
/** a behavioural margin, not a speed check: RE2 takes at most ~0.7 s here even on a loaded 2-core machine; the backtracking engine needed minutes (52 s on 41 characters) */
const BOUND_MS = 10_000;

export const BATTERY = [
  '(a|aa)+$', '(\\w|\\d)+@', '\\d+\\d+\\d+x', '[\\s\\S]*[\\s\\S]*=', '(a+)+$', '(.*a){20}',
  '^(a|a?)+$', '(x+x+)+y', '(\\d+)*$', '^(([a-z])+.)+[A-Z]([a-z])+$', '(\\w+\\s?)+$', '(a|b|ab)*c',
  '(?:[^=]*=)*;', '^(\\d*)*\\d*x$', '(.*a){100}', '(a*)*b', '([a-zA-Z]+)*$', '(.*,){12}X',
];
/** what RE2 cannot run in linear time, or a program over the size cap: refused when stored */
const REFUSED = ['(a)\\1', '(?<n>a)\\k<n>', '(?=a)a+', '(?!b)a', '(?<=a)b', '(?<!a)b', '(.*a){200}', 'a{2000}'];

const inputs = (n: number): string[] => [
  `${'a'.repeat(n)}!`, '1'.repeat(n), `${'a1'.repeat(Math.ceil(n / 2))}!`, `${' \n'.repeat(Math.ceil(n / 2))}`,
  `${'ab'.repeat(Math.ceil(n / 2))}`, `${'a,'.repeat(Math.ceil(n / 2))}`, `${'x'.repeat(n)}`,
];

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

test('every battery pattern is accepted (linear engine) and redacts long adversarial values in bounded time', (t) => {
  let worst = 0;
  for (const pattern of BATTERY) {
    const rule = parseRedactionRule({ fields: [], patterns: [pattern] });
    if (!rule.ok) continue; // refusing at PUT is an allowed outcome too
    const compiled = compileRule(rule.rule);
    for (const value of inputs(N)) {
      const parsed = parsePageContext({ url: 'https://shop.example/', fields: { note: value }, html: `<p>${value}</p>` });
      assert.ok(parsed.ok);
      const { value: out, ms } = timed(() => redactPageContext(parsed, compiled));
      worst = Math.max(worst, ms);
      assert.ok(ms < BOUND_MS, `${pattern} on ${JSON.stringify(value.slice(0, 6))}…(${value.length}) took ${ms.toFixed(0)} ms`);
      assert.equal(typeof out.context.fields['note'], 'string');
    }
  }
  t.diagnostic(`worst page context: ${worst.toFixed(0)} ms over ${N}-char values`);
});

test('patterns RE2 cannot run in linear time are refused with a reason, never approximated', () => {
  for (const pattern of REFUSED) {
    const rule = parseRedactionRule({ fields: [], patterns: [pattern] });
    assert.equal(rule.ok, false, pattern);
    if (!rule.ok) assert.match(rule.problems.join(' '), /backreference|lookahead|too complex|invalid/, pattern);
  }
  const back = parseRedactionRule({ patterns: ['(a)\\1'] });
  assert.ok(!back.ok && /backreferences are not supported/.test(back.problems[0] ?? ''));
  const look = parseRedactionRule({ patterns: ['(?=a)a'] });
  assert.ok(!look.ok && /lookahead and lookbehind are not supported/.test(look.problems[0] ?? ''));
});

test('a matching battery pattern still masks what it matches', () => {
  const rule = parseRedactionRule({ patterns: ['(\\w|\\d)+@'] });
  assert.ok(rule.ok);
  const parsed = parsePageContext({ url: 'https://shop.example/', fields: { note: 'mail ada99@example.org now' } });
  assert.ok(parsed.ok);
  assert.equal(redactPageContext(parsed, compileRule(rule.rule)).context.fields['note'], 'mail [REDACTED]example.org now');
});

test('32 heavy patterns over a page at the body limit: bounded, and what the budget cannot cover is masked whole', (t) => {
  const heavy = ['(.*a){100}', '(?:[\\s\\S]*a){60}$', '(a|aa)+$', '(.*a){20}'];
  const rule = parseRedactionRule({ patterns: Array.from({ length: 32 }, (_, i) => heavy[i % heavy.length] as string) });
  assert.ok(rule.ok);
  const big = 'a '.repeat(30_000);
  const fields = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`f${i}`, big]));
  const parsed = parsePageContext({ url: 'https://shop.example/', fields, html: `<p>${big}</p>` });
  assert.ok(parsed.ok);
  const { value: out, ms } = timed(() => redactPageContext(parsed, compileRule(rule.rule)));
  t.diagnostic(`32 heavy patterns, ${3 * big.length + big.length} chars: ${ms.toFixed(0)} ms`);
  assert.ok(ms < 4 * BOUND_MS, `${ms} ms`);
  for (const v of Object.values(out.context.fields)) assert.ok(!v.includes('a a a'), 'every value is masked, by a pattern or whole');
});

test('policy regexes: the same battery runs in bounded time on a long argument (or fails closed)', () => {
  for (const pattern of BATTERY) {
    const doc = validatePolicy({ rules: [{ id: 'r', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 's', regex: pattern } }] });
    if (!doc.ok) continue;
    for (const s of inputs(Math.min(N, 60_000))) {
      const { value: d, ms } = timed(() => evaluate(doc.doc, { agentId: 'a', tool: 't', args: { s }, manifest: { risk: 'low', requires_approval: false } }));
      assert.ok(ms < BOUND_MS, `${pattern}: ${ms} ms`);
      assert.ok(d.effect === 'deny' || d.effect === 'allow');
    }
  }
});
