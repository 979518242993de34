/**
 * The one way every layer defines its error registry (gateway GW_ERR_*, audit AUDIT_ERR_*,
 * sandbox SBX_ERR_* / TOOL_ERR_*, providers PRV_ERR_*, egress EGR_ERR_*): a table of
 * code → { message, …typed metadata the layer needs }, and from it the same helpers in one
 * shape: `isCode` (guard), `message` (the fixed safe text), `codes`, and `Error`, a base class
 * carrying the code that the layer's own error class extends.
 *
 * It lives in sandbox/ because that is the lowest layer: sandbox imports nothing from the
 * others, so every layer may import it without an upward import (DESIGN allows no new
 * top-level folder). It imports nothing itself.
 */

export interface ErrorDefinition {
  /** safe to show a client: never a secret, a stack, or text from outside */
  readonly message: string;
}

export type ErrorDefinitions = Readonly<Record<string, ErrorDefinition>>;

/** The base error class a registry gives its layer: `code` is one of the registry's codes. */
export interface RegistryErrorClass<C extends string> {
  new (code: C, message?: string, options?: ErrorOptions): Error & { readonly code: C };
}

export interface ErrorRegistry<D extends ErrorDefinitions> {
  /** the definitions as given (code → message and metadata) */
  readonly definitions: D;
  /** every code, in definition order */
  readonly codes: readonly (keyof D & string)[];
  /** whether a value (e.g. a code read from a worker reply) is one of this registry's codes */
  isCode(value: unknown): value is keyof D & string;
  /** the fixed safe message of a code */
  message(code: keyof D & string): string;
  /** base class: `new Error(code)` has the code's message, `new Error(code, text)` a given one */
  readonly Error: RegistryErrorClass<keyof D & string>;
}

/**
 * Builds a registry. Every code must start with one of `prefixes` (checked when the module
 * loads, so a misnamed code fails every test that imports it) and have a non-empty message.
 */
export function defineErrors<const D extends ErrorDefinitions>(
  name: string,
  prefixes: readonly string[],
  definitions: D,
): ErrorRegistry<D> {
  type Code = keyof D & string;
  const codes = Object.keys(definitions) as Code[];
  for (const code of codes) {
    if (!prefixes.some((p) => code.startsWith(p) && /^[A-Z][A-Z0-9_]*$/.test(code))) {
      throw new TypeError(`${name}: error code ${code} does not start with ${prefixes.join(' or ')}`);
    }
    const message: unknown = definitions[code]?.message;
    if (typeof message !== 'string' || message.length === 0) throw new TypeError(`${name}: error code ${code} has no message`);
  }
  const isCode = (value: unknown): value is Code => typeof value === 'string' && Object.hasOwn(definitions, value);
  const message = (code: Code): string => definitions[code]!.message;

  class RegistryError extends Error {
    readonly code: Code;
    constructor(code: Code, text?: string, options?: ErrorOptions) {
      super(text ?? message(code), options);
      this.name = name;
      this.code = code;
    }
  }

  return Object.freeze({ definitions, codes: Object.freeze(codes), isCode, message, Error: RegistryError });
}
