/**
 * Form-value redaction in `page_context.html`, on the WHATWG parse tree built by `parse5` (so
 * entities are decoded, unquoted/odd attribute syntax and unclosed tags are read exactly as a
 * browser reads them), then serialized again.
 *
 * Every form-associated control is covered: `input` (any type, hidden included), `textarea`,
 * `select` with its `option`s (value, label and text), `button`, `output`, `datalist` options
 * (keyed by the datalist id and by the `list` of the inputs using it) and `[contenteditable]`
 * elements, also inside `<template>`, `<noscript>` (parsed as markup) and `iframe srcdoc`
 * documents. A control is SECRET when it is a password input, its autocomplete names a secret,
 * or one of its decoded keys (name, id, aria-label, and for a datalist the inputs listing it)
 * is a built-in secret name or listed in the origin's rule; a secret control has every value
 * it carries masked whole (value attributes, text and comments beneath it). Every other
 * attribute value (those of a secret control and its descendants included), text node and
 * comment goes through the value masks (cards, tokens, rule patterns).
 */
import { parse, parseFragment, serialize, type DefaultTreeAdapterTypes as T } from 'parse5';
import type { Redactor } from './redactor.ts';

const SECRET_AUTOCOMPLETE = /\b(?:current-password|new-password|one-time-code|cc-number|cc-csc|cc-exp\S*)\b/i;
/** attributes that carry a control's value */
const VALUE_ATTRS = new Set(['value', 'label', 'placeholder', 'data-value']);
const CONTROLS = new Set(['input', 'textarea', 'select', 'button', 'output', 'datalist']);

type Parent = T.ParentNode;
type Child = T.ChildNode;

const isElement = (n: T.Node): n is T.Element => 'tagName' in n;
const attr = (el: T.Element, name: string): string => el.attrs.find((a) => a.name === name)?.value ?? '';

function children(n: Parent): Child[] {
  const content = (n as Partial<T.Template>).content;
  return content !== undefined ? [...n.childNodes, ...content.childNodes] : [...n.childNodes];
}

function* walk(root: Parent): Generator<T.Node> {
  const stack: T.Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop() as T.Node;
    yield n;
    if ('childNodes' in n) stack.push(...children(n).reverse()); // document order
  }
}

function isContentEditable(el: T.Element): boolean {
  const v = el.attrs.find((a) => a.name === 'contenteditable');
  return v !== undefined && v.value.toLowerCase() !== 'false';
}

const keysOf = (el: T.Element): string[] => [attr(el, 'name'), attr(el, 'id'), attr(el, 'aria-label')].filter((k) => k !== '');
const labelOf = (el: T.Element): string => attr(el, 'name') || attr(el, 'id') || `(${el.tagName})`;

function secretControl(el: T.Element, r: Redactor, secretLists: ReadonlySet<string>): boolean {
  if (el.tagName === 'input' && attr(el, 'type').trim().toLowerCase() === 'password') return true;
  if (SECRET_AUTOCOMPLETE.test(attr(el, 'autocomplete'))) return true;
  if (el.tagName === 'datalist' && secretLists.has(attr(el, 'id'))) return true;
  return keysOf(el).some((k) => r.secretName(k));
}

/** Masks every value a secret control carries: its value attributes and all text beneath it. */
function maskWhole(el: T.Element, r: Redactor): boolean {
  let changed = false;
  for (const n of walk(el)) {
    if (isElement(n)) {
      for (const a of n.attrs) {
        if (VALUE_ATTRS.has(a.name) && a.value !== '') {
          a.value = r.whole(a.value);
          changed = true;
        }
      }
    } else if (n.nodeName === '#text') {
      const t = n as T.TextNode;
      if (t.value.trim() !== '') {
        t.value = r.whole(t.value);
        changed = true;
      }
    } else if (n.nodeName === '#comment') {
      (n as T.CommentNode).data = r.whole((n as T.CommentNode).data);
    }
  }
  return changed;
}

function isDocument(html: string): boolean {
  return /^\s*<(?:!doctype|html[\s/>])/i.test(html.slice(0, 1024));
}

/** `<noscript>` content is parsed as markup (scripting off), so controls inside it are seen. */
const PARSE = { scriptingEnabled: false } as const;
/** `iframe srcdoc` documents are redacted as documents, this deep */
const SRCDOC_DEPTH = 3;

export function redactHtml(html: string, r: Redactor, depth = 0): { html: string; redacted: string[] } {
  const root: Parent = isDocument(html) ? parse(html, PARSE) : parseFragment(html, PARSE);
  const redacted = new Set<string>();
  const elements = [...walk(root)].filter(isElement);

  // inputs that are secret name the datalists they use: those suggestions are secret too
  const secretLists = new Set<string>();
  for (const el of elements) {
    if (el.tagName === 'input' && attr(el, 'list') !== '' && secretControl(el, r, secretLists)) secretLists.add(attr(el, 'list'));
  }

  const masked = new WeakSet<T.Node>();
  for (const el of elements) {
    if (masked.has(el) || !(CONTROLS.has(el.tagName) || isContentEditable(el))) continue;
    if (!secretControl(el, r, secretLists)) continue;
    if (maskWhole(el, r)) redacted.add(labelOf(el));
    for (const n of walk(el)) masked.add(n);
  }

  // everything else: value masks over attribute values, text and comments; under a secret
  // control only its value attributes and text are masked whole, the other attributes (a card
  // number in a title, a srcdoc document) still go through the masks
  for (const n of walk(root)) {
    const inSecret = masked.has(n);
    if (isElement(n)) {
      for (const a of n.attrs) {
        if (inSecret && VALUE_ATTRS.has(a.name)) continue;
        if (a.name === 'srcdoc') {
          const inner = depth < SRCDOC_DEPTH ? redactHtml(a.value, r, depth + 1) : { html: r.whole(a.value), redacted: [] };
          for (const name of inner.redacted) redacted.add(name);
          a.value = inner.html;
          continue;
        }
        const next = r.mask(a.value);
        if (next !== a.value) {
          a.value = next;
          if (CONTROLS.has(n.tagName) || n.tagName === 'option' || isContentEditable(n)) redacted.add(labelOf(n));
        }
      }
    } else if (inSecret) {
      continue;
    } else if (n.nodeName === '#text') {
      const t = n as T.TextNode;
      const next = r.mask(t.value);
      if (next !== t.value) {
        t.value = next;
        const owner = t.parentNode;
        if (owner !== null && isElement(owner) && (CONTROLS.has(owner.tagName) || owner.tagName === 'option' || isContentEditable(owner))) redacted.add(labelOf(owner));
      }
    } else if (n.nodeName === '#comment') {
      const c = n as T.CommentNode;
      c.data = r.mask(c.data);
    }
  }
  return { html: serialize(root), redacted: [...redacted] };
}
