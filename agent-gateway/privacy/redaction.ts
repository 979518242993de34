/**
 * The one ingestion point for `page_context {url, fields:{name:value}, html?}`: parse it
 * (shape and size caps), derive the normalized origin, and redact before anything reaches a
 * provider, the audit log or logs. Field values are masked entirely when the name is a secret
 * name or listed in the origin's rule, else passed through the value masks (cards, tokens,
 * rule patterns). URL fragments are dropped and sensitive query values masked.
 */
import { MASK } from './masks.ts';
import { redactHtml } from './html-forms.ts';
import { createRedactor, type Redactor } from './redactor.ts';
import { normalizeOrigin, type CompiledRule } from './rules.ts';

export const PAGE_CONTEXT_LIMITS = { maxFields: 200, maxFieldNameChars: 256, maxFieldValueChars: 64 * 1024, maxHtmlChars: 200 * 1024, maxUrlChars: 2048 } as const;

export interface PageContext {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly html?: string;
}

export interface RedactionResult {
  readonly origin: string;
  readonly context: PageContext;
  /** names of fields (and html form controls, prefixed `html:`) whose value was masked */
  readonly redactedFields: string[];
  /** names of `fields` passed through unchanged */
  readonly sharedFields: string[];
}

export type PageContextCheck = { ok: true; context: PageContext; origin: string } | { ok: false; code: 'GW_ERR_VALIDATION'; problems: string[] };

export function parsePageContext(input: unknown): PageContextCheck {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { ok: false, code: 'GW_ERR_VALIDATION', problems: ['page_context must be an object'] };
  const o = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(o)) if (k !== 'url' && k !== 'fields' && k !== 'html') problems.push(`unknown property ${JSON.stringify(k.slice(0, 40))}`);
  const url = o['url'];
  const origin = typeof url === 'string' && url.length <= PAGE_CONTEXT_LIMITS.maxUrlChars ? normalizeOrigin(url) : undefined;
  if (!origin?.ok) problems.push('url must be an http(s) URL');
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const rawFields = o['fields'] ?? {};
  if (rawFields === null || typeof rawFields !== 'object' || Array.isArray(rawFields)) problems.push('fields must be an object of strings');
  else {
    const entries = Object.entries(rawFields as Record<string, unknown>);
    if (entries.length > PAGE_CONTEXT_LIMITS.maxFields) problems.push(`at most ${PAGE_CONTEXT_LIMITS.maxFields} fields`);
    for (const [name, value] of entries.slice(0, PAGE_CONTEXT_LIMITS.maxFields)) {
      if (name.length === 0 || name.length > PAGE_CONTEXT_LIMITS.maxFieldNameChars) problems.push('field names must be 1..256 chars');
      else if (typeof value !== 'string' || value.length > PAGE_CONTEXT_LIMITS.maxFieldValueChars) problems.push(`field ${JSON.stringify(name.slice(0, 40))} must be a string up to 64 KiB`);
      else fields[name] = value;
    }
  }
  const html = o['html'];
  if (html !== undefined && (typeof html !== 'string' || html.length > PAGE_CONTEXT_LIMITS.maxHtmlChars)) problems.push('html must be a string up to 200 KiB');
  if (problems.length > 0 || !origin?.ok) return { ok: false, code: 'GW_ERR_VALIDATION', problems };
  return { ok: true, origin: origin.origin, context: { url: url as string, fields: Object.fromEntries(Object.entries(fields)), ...(typeof html === 'string' ? { html } : {}) } };
}

function redactUrl(raw: string, r: Redactor): string {
  const url = new URL(raw);
  url.hash = '';
  url.username = '';
  url.password = '';
  for (const [name, value] of [...url.searchParams.entries()]) {
    const masked = r.secretName(name) ? MASK : r.mask(value);
    if (masked !== value) url.searchParams.set(name, masked);
  }
  return r.mask(url.href);
}

/** Pure: redacts a parsed context with the origin's compiled rule (undefined: built-ins only). */
export function redactPageContext(parsed: { context: PageContext; origin: string }, rule: CompiledRule | undefined): RedactionResult {
  const r = createRedactor(rule);
  const redactedFields: string[] = [];
  const sharedFields: string[] = [];
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(parsed.context.fields)) {
    const whole = r.secretName(name);
    const masked = whole ? r.whole(value) : r.mask(value);
    entries.push([name, masked]);
    if (whole || masked !== value) redactedFields.push(name);
    else sharedFields.push(name);
  }
  // fromEntries defines own properties, so a `__proto__` field stays data
  const context: { url: string; fields: Record<string, string>; html?: string } = { url: redactUrl(parsed.context.url, r), fields: Object.fromEntries(entries) };
  if (parsed.context.html !== undefined) {
    const html = redactHtml(parsed.context.html, r);
    context.html = html.html;
    for (const n of html.redacted) redactedFields.push(`html:${n}`);
  }
  return { origin: parsed.origin, context, redactedFields, sharedFields };
}
