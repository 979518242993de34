/**
 * Form-value redaction in an HTML string without a DOM: `<input>` tags (quote-aware, so a `>`
 * inside an attribute value does not end the tag) and `<textarea>` contents. A control is
 * masked entirely when it is a password input, has a secret-looking name/id/autocomplete, or
 * its name is listed in the origin's rule; otherwise its value goes through the value masks.
 * Finally the value masks run over the whole document text as well.
 */
import { isSensitiveName, MASK, maskValue } from './masks.ts';
import type { CompiledRule } from './rules.ts';

const INPUT_TAG = /<input\b(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
const TEXTAREA = /(<textarea\b(?:[^>"']|"[^"]*"|'[^']*')*>)([\s\S]*?)(<\/textarea\s*>)/gi;
const ATTR = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
const SECRET_AUTOCOMPLETE = /\b(?:current-password|new-password|one-time-code|cc-number|cc-csc|cc-exp\S*)\b/i;

function attributes(tag: string): Map<string, string> {
  const inner = tag.replace(/^<[a-z]+/i, '').replace(/\/?>$/, '');
  const out = new Map<string, string>();
  for (const m of inner.matchAll(ATTR)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!out.has(name)) out.set(name, m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

function controlName(attrs: Map<string, string>): string {
  return attrs.get('name') || attrs.get('id') || '(unnamed)';
}

function wholeMask(attrs: Map<string, string>, rule: CompiledRule | undefined): boolean {
  const name = attrs.get('name') ?? '';
  const id = attrs.get('id') ?? '';
  return (
    (attrs.get('type') ?? '').toLowerCase() === 'password' ||
    SECRET_AUTOCOMPLETE.test(attrs.get('autocomplete') ?? '') ||
    (name !== '' && isSensitiveName(name)) ||
    (id !== '' && isSensitiveName(id)) ||
    (rule !== undefined && ((name !== '' && rule.fields.has(name.toLowerCase())) || (id !== '' && rule.fields.has(id.toLowerCase()))))
  );
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

export function redactHtml(html: string, rule: CompiledRule | undefined): { html: string; redacted: string[] } {
  const redacted = new Set<string>();
  const patterns = rule?.patterns ?? [];
  let out = html.replace(INPUT_TAG, (tag) => {
    const attrs = attributes(tag);
    if (!attrs.has('value')) return tag;
    const original = attrs.get('value') ?? '';
    const masked = wholeMask(attrs, rule) ? (original === '' ? '' : MASK) : maskValue(original, patterns).text;
    if (masked === original) return tag;
    redacted.add(controlName(attrs));
    // Rewrite every value attribute (quoted or not) so no copy of the secret survives.
    return tag.replace(/(\svalue\s*=\s*)(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+)/gi, `$1"${escapeAttr(masked)}"`);
  });
  out = out.replace(TEXTAREA, (_all, open: string, body: string, close: string) => {
    const attrs = attributes(open);
    const masked = wholeMask(attrs, rule) ? (body === '' ? '' : MASK) : maskValue(body, patterns).text;
    if (masked !== body) redacted.add(controlName(attrs));
    return `${open}${masked}${close}`;
  });
  const text = maskValue(out, patterns);
  return { html: text.text, redacted: [...redacted] };
}
