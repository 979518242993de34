/**
 * Form-value redaction in an HTML string without a DOM, in one linear pass (no regex
 * backtracking over the document). `<input>` tags are tokenized roughly as the HTML tokenizer
 * does (quoted and unquoted attribute values; a `>` inside quotes does not end the tag) and
 * rebuilt with every `value` attribute replaced; `<textarea>` contents run to `</textarea>` (or
 * the end of the input). A control is masked entirely when it is a password input, has a
 * secret-looking name/id/autocomplete, or its name/id is listed in the origin's rule; else its
 * value goes through the value masks. Finally the value masks run over the whole text too.
 */
import { isSensitiveName, MASK, maskValue } from './masks.ts';
import type { CompiledRule } from './rules.ts';

const OPEN = /<(input|textarea)(?=[\s/>])/gi;
const CLOSE_TEXTAREA = /<\/textarea\s*>/gi;
const SECRET_AUTOCOMPLETE = /\b(?:current-password|new-password|one-time-code|cc-number|cc-csc|cc-exp\S*)\b/i;
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';

interface Tag {
  readonly attrs: Array<[name: string, value: string | undefined]>;
  /** index just after the closing `>` (or the input length) */
  readonly end: number;
}

/** Tokenizes attributes from `start` (just after the tag name) to the tag's `>`. */
function readTag(html: string, start: number): Tag {
  const attrs: Array<[string, string | undefined]> = [];
  let i = start;
  while (i < html.length) {
    while (i < html.length && (isSpace(html[i] ?? '') || html[i] === '/')) i++;
    if (i >= html.length) break;
    if (html[i] === '>') return { attrs, end: i + 1 };
    let name = '';
    do name += html[i++];
    while (i < html.length && !isSpace(html[i] ?? '') && html[i] !== '/' && html[i] !== '>' && html[i] !== '=');
    while (i < html.length && isSpace(html[i] ?? '')) i++;
    if (html[i] !== '=') {
      attrs.push([name.toLowerCase(), undefined]);
      continue;
    }
    i++;
    while (i < html.length && isSpace(html[i] ?? '')) i++;
    const quote = html[i];
    let value = '';
    if (quote === '"' || quote === "'") {
      const close = html.indexOf(quote, i + 1);
      value = html.slice(i + 1, close === -1 ? html.length : close);
      i = close === -1 ? html.length : close + 1;
    } else {
      while (i < html.length && !isSpace(html[i] ?? '') && html[i] !== '>') value += html[i++];
    }
    attrs.push([name.toLowerCase(), value]);
  }
  return { attrs, end: html.length };
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const first = (tag: Tag, name: string): string => tag.attrs.find(([n]) => n === name)?.[1] ?? '';
const controlName = (tag: Tag): string => first(tag, 'name') || first(tag, 'id') || '(unnamed)';

function wholeMask(tag: Tag, rule: CompiledRule | undefined): boolean {
  const keys = [first(tag, 'name'), first(tag, 'id')].filter((k) => k !== '');
  return (
    first(tag, 'type').toLowerCase() === 'password' ||
    SECRET_AUTOCOMPLETE.test(first(tag, 'autocomplete')) ||
    keys.some((k) => isSensitiveName(k) || (rule?.fields.has(k.toLowerCase()) ?? false))
  );
}

export function redactHtml(html: string, rule: CompiledRule | undefined): { html: string; redacted: string[] } {
  const redacted = new Set<string>();
  const patterns = rule?.patterns ?? [];
  const parts: string[] = [];
  let copied = 0;
  OPEN.lastIndex = 0;
  for (let m = OPEN.exec(html); m !== null; m = OPEN.exec(html)) {
    const tagName = (m[1] ?? '').toLowerCase();
    const tag = readTag(html, m.index + m[0].length);
    const whole = wholeMask(tag, rule);
    if (tagName === 'input') {
      let changed = false;
      const attrs = tag.attrs.map(([n, v]): [string, string | undefined] => {
        if (n !== 'value' || v === undefined) return [n, v];
        const masked = whole ? (v === '' ? '' : MASK) : maskValue(v, patterns).text;
        if (masked !== v) changed = true;
        return [n, masked];
      });
      if (changed) {
        redacted.add(controlName(tag));
        parts.push(html.slice(copied, m.index), `<${m[1]}`, ...attrs.map(([n, v]) => (v === undefined ? ` ${n}` : ` ${n}="${escapeAttr(v)}"`)), '>');
        copied = tag.end;
      }
      OPEN.lastIndex = tag.end;
      continue;
    }
    CLOSE_TEXTAREA.lastIndex = tag.end;
    const close = CLOSE_TEXTAREA.exec(html);
    const bodyEnd = close ? close.index : html.length;
    const body = html.slice(tag.end, bodyEnd);
    const masked = whole ? (body === '' ? '' : MASK) : maskValue(body, patterns).text;
    if (masked !== body) {
      redacted.add(controlName(tag));
      parts.push(html.slice(copied, tag.end), masked);
      copied = bodyEnd;
    }
    OPEN.lastIndex = close ? close.index + close[0].length : html.length;
  }
  parts.push(html.slice(copied));
  return { html: maskValue(parts.join(''), patterns).text, redacted: [...redacted] };
}
