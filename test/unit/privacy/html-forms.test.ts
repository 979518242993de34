/** HTML form redaction on the parse5 tree (privacy/html-forms.ts): each control, decoded names, fail-closed cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactHtml } from '../../../agent-gateway/privacy/html-forms.ts';
import { createRedactor } from '../../../agent-gateway/privacy/redactor.ts';
import { compileRule, parseRedactionRule, type CompiledRule } from '../../../agent-gateway/privacy/rules.ts';

const rule = (fields: string[], patterns: string[] = []): CompiledRule => {
  const r = parseRedactionRule({ fields, patterns });
  assert.ok(r.ok);
  return compileRule(r.rule);
};
const run = (html: string, compiled?: CompiledRule) => redactHtml(html, createRedactor(compiled));

test('each form-associated control under a rule field is masked whole, value and text', () => {
  const cases: Array<[string, string]> = [
    ['<input name="ssn" value="S1">', 'S1'],
    ['<input type="hidden" name="ssn" value="S2">', 'S2'],
    ['<textarea name="ssn">S3</textarea>', 'S3'],
    ['<select name="ssn"><option value="S4" selected>S5</option></select>', 'S4|S5'],
    ['<select name="ssn"><optgroup label="g"><option label="S6">x</option></optgroup></select>', 'S6'],
    ['<button name="ssn" value="S7">go</button>', 'S7'],
    ['<output name="ssn">S8</output>', 'S8'],
    ['<input list="l" name="ssn"><datalist id="l"><option value="S9"></option></datalist>', 'S9'],
    ['<datalist id="ssn"><option value="S10"></option></datalist>', 'S10'],
    ['<div contenteditable id="ssn">S11</div>', 'S11'],
    ['<p contenteditable="plaintext-only" aria-label="SSN">S12</p>', 'S12'],
    ['<template><input name="ssn" value="S13"></template>', 'S13'],
  ];
  for (const [html, secrets] of cases) {
    const out = run(html, rule(['ssn']));
    for (const s of secrets.split('|')) assert.ok(!out.html.includes(s), `${html} → ${out.html}`);
    assert.ok(out.redacted.length > 0, html);
  }
});

test('names are compared after entity decoding and NFKC folding (built-in detector and rule)', () => {
  for (const html of ['<input name="&#115;sn" value="X1">', '<input name=&#x73;&#x73;&#x6e; value=X1>', '<input name="ｓｓｎ" value="X1">']) {
    assert.ok(!run(html, rule(['ssn'])).html.includes('X1'), html);
  }
  for (const html of ['<input name=pass&#119;ord value=X2>', '<input name="pass&#x77;ord" value="X2">', '<input id="&#112;wd" value="X2">', '<input name="ＰＡＳＳＷＯＲＤ" value="X2">']) {
    assert.ok(!run(html).html.includes('X2'), html);
  }
});

test('password inputs and secret autocomplete are masked without any rule', () => {
  for (const html of ['<input type=PASSWORD name=q value=X3>', '<input name=q autocomplete="cc-number" value=X3>', '<input name=q autocomplete=one-time-code value=X3>']) {
    assert.ok(!run(html).html.includes('X3'), html);
  }
});

test('non-secret controls keep their values except what the value masks catch', () => {
  const out = run('<input name="city" value="Lyon"><textarea name="note">card 4111 1111 1111 1111 ref CUST-42</textarea><input name="x" value="CUST-7">', rule([], ['CUST-\\d+']));
  assert.ok(out.html.includes('Lyon'));
  assert.ok(!out.html.includes('4111') && !out.html.includes('CUST-42') && !out.html.includes('CUST-7'), out.html);
  assert.deepEqual(out.redacted.sort(), ['note', 'x']);
});

test('a rule whose stored pattern no longer compiles masks every value whole (fail closed)', () => {
  const broken = compileRule({ fields: [], patterns: ['(?=js-only)x'] });
  assert.equal(broken.failClosed, true);
  const out = run('<input name="city" value="Lyon"><p>plain text</p>', broken);
  assert.ok(!out.html.includes('Lyon') && !out.html.includes('plain text'), out.html);
});

test('full documents are kept as documents; comments and attribute values go through the masks', () => {
  const out = run('<!doctype html><html><body><!-- sk-proj-ABCDEFGHIJKLMNOPQRSTUV --><a title="4111111111111111">x</a></body></html>');
  assert.match(out.html, /^<!DOCTYPE html><html>/);
  assert.ok(!out.html.includes('sk-proj-ABCDEFGHIJKLMNOPQRSTUV') && !out.html.includes('4111111111111111'), out.html);
});

test('controls inside <noscript> and iframe srcdoc documents are redacted too', () => {
  const out = run('<noscript><input name="ssn" value="N1"></noscript><iframe srcdoc="<input name=&quot;ssn&quot; value=&quot;N2&quot;><iframe srcdoc=\'<input type=password value=N3>\'></iframe>"></iframe>', rule(['ssn']));
  for (const s of ['N1', 'N2', 'N3']) assert.ok(!out.html.includes(s), out.html);
});
