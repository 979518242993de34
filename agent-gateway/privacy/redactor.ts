/**
 * The redaction decisions shared by fields, URL query values and HTML controls for ONE page
 * context: which names are secret (built-in detector or the origin's rule, compared after
 * NFKC folding) and how a value is masked (built-in masks + rule patterns under one regex work
 * budget for the whole page context). A rule whose stored patterns no longer compile masks
 * every value whole (fail closed).
 */
import { RegexBudget } from '../policy/safe-regex.ts';
import { isSensitiveName, MASK, maskValue } from './masks.ts';
import { fieldKey, type CompiledRule } from './rules.ts';

export interface Redactor {
  /** true when a value under this name must be masked whole */
  secretName(name: string): boolean;
  /** a value under a non-secret name: masks applied to its parts */
  mask(value: string): string;
  /** a value under a secret name */
  whole(value: string): string;
}

export function createRedactor(rule: CompiledRule | undefined): Redactor {
  const budget = new RegexBudget();
  const patterns = rule?.patterns ?? [];
  const whole = (value: string): string => (value === '' ? '' : MASK);
  return {
    secretName: (name) => name !== '' && (isSensitiveName(name) || (rule?.fields.has(fieldKey(name)) ?? false)),
    mask: (value) => (rule?.failClosed === true ? whole(value) : maskValue(value, patterns, budget).text),
    whole,
  };
}
