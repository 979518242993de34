/**
 * HTML form redaction (privacy/html-forms.ts), exact outputs: which value attributes of a secret
 * control are masked and which are kept, the labels reported as redacted, what counts as a
 * password type / secret autocomplete / contenteditable, document detection and the srcdoc
 * depth limit. Each case is the full serialized HTML and the full `redacted` list.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactHtml } from '../../../agent-gateway/privacy/html-forms.ts';
import { createRedactor } from '../../../agent-gateway/privacy/redactor.ts';
import { compileRule, parseRedactionRule, type CompiledRule } from '../../../agent-gateway/privacy/rules.ts';

const rule = (fields: string[], patterns: string[] = []): CompiledRule => {
  const r = parseRedactionRule({ fields, patterns });
  assert.ok(r.ok);
  return compileRule(r.rule);
};
const SSN = rule(['ssn'], ['CUST-\\d+']);
const R = '[REDACTED]';

function check(cases: ReadonlyArray<readonly [string, string, readonly string[]]>, compiled?: CompiledRule): void {
  for (const [html, want, redacted] of cases) {
    assert.deepEqual(redactHtml(html, createRedactor(compiled)), { html: want, redacted }, html);
  }
}

test('a secret control has value, placeholder and data-value masked; other attributes are kept', () => {
  check([
    ['<input name="ssn" value="S1" placeholder="P" data-value="D" title="T">', `<input name="ssn" value="${R}" placeholder="${R}" data-value="${R}" title="T">`, ['ssn']],
    ['<input id="ssn" value="v">', `<input id="ssn" value="${R}">`, ['ssn']],
    ['<form><input name="ssn" value="A"><input name="b" value="B"></form>', `<form><input name="ssn" value="${R}"><input name="b" value="B"></form>`, ['ssn']],
  ], SSN);
});

test('a secret control with nothing in it is left as it is and not reported', () => {
  check([
    ['<input name="ssn" value="">', '<input name="ssn" value="">', []],
    ['<textarea name="ssn">  </textarea>', '<textarea name="ssn">  </textarea>', []],
  ], SSN);
});

test('text, comments and nested value attributes under a secret contenteditable are masked whole', () => {
  check([
    ['<div contenteditable id="ssn">a<!-- note -->b</div>', `<div contenteditable="" id="ssn">${R}<!--${R}-->${R}</div>`, ['ssn']],
    ['<div contenteditable id="ssn"><span title="t" value="v">a</span></div><p>after</p>', `<div contenteditable="" id="ssn"><span title="t" value="${R}">${R}</span></div><p>after</p>`, ['ssn']],
    ['<template><input name="ssn" value="S13"></template><p>x</p>', `<template><input name="ssn" value="${R}"></template><p>x</p>`, ['ssn']],
  ], SSN);
});

test('contenteditable="false" (any case) and plain elements are not controls, even under a secret name', () => {
  check([
    ['<div contenteditable="false" id="ssn">S</div>', '<div contenteditable="false" id="ssn">S</div>', []],
    ['<div contenteditable="FALSE" id="ssn">S</div>', '<div contenteditable="FALSE" id="ssn">S</div>', []],
    ['<div id="ssn">S</div>', '<div id="ssn">S</div>', []],
  ], SSN);
});

test('password type is read trimmed and case-folded; only secret autocomplete tokens count', () => {
  check([
    ['<input type=" Password " value="x">', `<input type=" Password " value="${R}">`, ['(input)']],
    ['<input value="x" autocomplete="cc-exp-month">', `<input value="${R}" autocomplete="cc-exp-month">`, ['(input)']],
    ['<input value="x" autocomplete="section-a new-password">', `<input value="${R}" autocomplete="section-a new-password">`, ['(input)']],
    ['<input value="x" autocomplete="username">', '<input value="x" autocomplete="username">', []],
    ['<input value="x" type="text">', '<input value="x" type="text">', []],
  ]);
});

test('a datalist used by a secret input is masked whole; another datalist and an empty list name are not', () => {
  check([
    ['<input list="l" name="ssn"><datalist id="l"><option value="S9">t</option></datalist><datalist id="m"><option value="K">k</option></datalist>',
      `<input list="l" name="ssn"><datalist id="l"><option value="${R}">${R}</option></datalist><datalist id="m"><option value="K">k</option></datalist>`, ['l']],
    ['<input name="ssn" list="zz"><input name="city" list="zz"><datalist id="zz"><option>opt</option></datalist>',
      `<input name="ssn" list="zz"><input name="city" list="zz"><datalist id="zz"><option>${R}</option></datalist>`, ['zz']],
    ['<input list="l" name="city"><datalist id="l"><option value="S9"></option></datalist>', '<input list="l" name="city"><datalist id="l"><option value="S9"></option></datalist>', []],
    ['<input list="" name="ssn"><datalist id=""><option value="E"></option></datalist>', '<input list="" name="ssn"><datalist id=""><option value="E"></option></datalist>', []],
  ], SSN);
});

test('value masks report controls and options by label, never plain elements', () => {
  check([
    ['<input value="CUST-1" title="CUST-2"><a href="/CUST-3">CUST-4</a>', `<input value="${R}" title="${R}"><a href="/${R}">${R}</a>`, ['(input)']],
    ['<button>CUST-5</button><output>CUST-6</output>', `<button>${R}</button><output>${R}</output>`, ['(button)', '(output)']],
    ['<select><option>CUST-7</option></select>', `<select><option>${R}</option></select>`, ['(option)']],
    ['<div contenteditable>CUST-8</div><p title="CUST-9">CUST-10</p>', `<div contenteditable="">${R}</div><p title="${R}">${R}</p>`, ['(div)']],
    ['<textarea id="t">card 4111 1111 1111 1111</textarea>', `<textarea id="t">card ${R}</textarea>`, ['t']],
    ['<!-- 4111111111111111 -->', `<!-- ${R} -->`, []],
  ], SSN);
});

test('documents are detected by a leading doctype or <html> tag only', () => {
  check([
    ['<html><body>hi</body></html>', '<html><head></head><body>hi</body></html>', []],
    ['  <HTML lang=en>hi', '<html lang="en"><head></head><body>hi</body></html>', []],
    ['<!doctype html>hi', '<!DOCTYPE html><html><head></head><body>hi</body></html>', []],
    ['<htmlx>hi</htmlx>', '<htmlx>hi</htmlx>', []],
    ['<p>x</p><html>', '<p>x</p>', []],
  ]);
});

test('srcdoc documents are redacted three levels deep; a fourth level is masked whole', () => {
  const inner = (level: number): string => (level === 0 ? '<b>deep</b>' : `<iframe srcdoc="${inner(level - 1).replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"></iframe>`);
  const out = redactHtml(inner(4), createRedactor(undefined));
  assert.equal(out.html.includes('deep'), false, out.html);
  assert.equal(out.html.includes(R), true, out.html);
  const three = redactHtml(inner(3), createRedactor(undefined));
  assert.equal(three.html.includes('deep'), true, three.html);
  assert.equal(three.html.includes(R), false, three.html);
  assert.deepEqual(redactHtml('<iframe srcdoc="<input type=password value=N3>"></iframe>', createRedactor(undefined)),
    { html: `<iframe srcdoc="&lt;input type=&quot;password&quot; value=&quot;${R}&quot;&gt;"></iframe>`, redacted: ['(input)'] });
});

test('cc-exp itself is a secret autocomplete token', () => {
  check([['<input value="12/29" autocomplete="cc-exp">', `<input value="${R}" autocomplete="cc-exp">`, ['(input)']]]);
});

test('a masked option attribute reports the option; masked text at the top level reports nothing', () => {
  check([
    ['<select><option value="CUST-1">a</option></select>', `<select><option value="${R}">a</option></select>`, ['(option)']],
    ['CUST-2 plain', `${R} plain`, []],
  ], SSN);
});

test('the document check reads only the first 1024 characters', () => {
  const padded = `${' '.repeat(1100)}<html>x`;
  const out = redactHtml(padded, createRedactor(undefined));
  assert.equal(out.html, `${' '.repeat(1100)}x`);
});

test('a srcdoc past the depth limit is masked whole without naming a control', () => {
  let html = '<input type=password value=Z>';
  for (let i = 0; i < 4; i += 1) html = `<iframe srcdoc="${html.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"></iframe>`;
  const out = redactHtml(html, createRedactor(undefined));
  assert.deepEqual(out.redacted, []);
  assert.equal(out.html.includes('Z'), false, out.html);
});

test('the other attributes of a secret control and of everything under it still go through the value masks, srcdoc included', () => {
  check([
    ['<input type="password" value="x" title="4111 1111 1111 1111">', `<input type="password" value="${R}" title="${R}">`, ['(input)']],
    ['<input name="ssn" value="" title="CUST-1">', `<input name="ssn" value="" title="${R}">`, ['ssn']],
    ['<div contenteditable name="ssn"><a href="/k/CUST-2">l</a><iframe srcdoc="<input type=password value=hunter2>"></iframe></div>',
      `<div contenteditable="" name="ssn"><a href="/k/${R}">${R}</a><iframe srcdoc="&lt;input type=&quot;password&quot; value=&quot;${R}&quot;&gt;"></iframe></div>`, ['ssn', '(input)']],
  ], SSN);
});

test('type=password makes only an input secret, and only a datalist is secret by the list id of a secret input', () => {
  check([
    ['<button type="password">B</button>', '<button type="password">B</button>', []],
    ['<input name="ssn" list="l"><select id="l"><option>O</option></select>', '<input name="ssn" list="l"><select id="l"><option>O</option></select>', []],
    ['<textarea name="ssn" list="l">T</textarea><datalist id="l"><option>O</option></datalist>', `<textarea name="ssn" list="l">${R}</textarea><datalist id="l"><option>O</option></datalist>`, ['ssn']],
  ], SSN);
});

test('any autocomplete token that starts with cc-exp is secret', () => {
  check([['<input value="12/29" autocomplete="cc-expiry">', `<input value="${R}" autocomplete="cc-expiry">`, ['(input)']]]);
});

test('what a secret control had masked whole is not masked again by a rule pattern that matches the mask', () => {
  check([
    ['<input name="ssn" value="v" title="t"><p>REDACTED</p>', `<input name="ssn" value="${R}" title="t"><p>${R}</p>`, ['ssn']],
    ['<textarea name="ssn">T</textarea>', `<textarea name="ssn">${R}</textarea>`, ['ssn']],
  ], rule(['ssn'], ['REDACTED']));
});
