/**
 * Tool-poisoning scan of an upstream tool's description, at pin time (issue 16 item 5). Pure.
 * Flags are shown to the admin with the pin answer; they do not block the pin (the admin
 * decides). Whatever the flags, hidden characters — zero-width, bidi controls, other format
 * characters, tag characters, C0/C1 controls except tab and newline — are stripped from the
 * text agents see (`visibleText`), so an instruction hidden between visible words cannot reach
 * the model through Palisade.
 */

export type ScanFlag = 'hidden_characters' | 'model_instructions' | 'very_long' | 'urls';

export const MAX_DESCRIPTION_CHARS = 1000;

// Cf (format: zero-width, bidi controls, word joiner, BOM, soft hyphen…), Co/Cn are not here:
// tag characters U+E0000–E007F are Cf too. Controls other than \t \n \r.
const HIDDEN = /[\p{Cf}\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u115F\u1160\u3164\uFFA0]/gu;

const INSTRUCTION_PATTERNS: readonly RegExp[] = [
  /\bignore\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier)\b/i,
  /\bdisregard\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|instructions)\b/i,
  /\b(?:do\s+not|don't|never)\s+(?:tell|inform|mention|reveal|show)\b[^.]{0,40}\b(?:user|human)\b/i,
  /\byou\s+(?:must|should)\s+(?:always\s+|first\s+)?(?:call|run|read|send|include|use)\b/i,
  /\b(?:system\s+prompt|<\s*important\s*>|<\s*system\s*>)/i,
  /\bbefore\s+(?:using|calling)\s+(?:this|any)\s+tool\b/i,
];

const URL_PATTERN = /\b(?:https?|ftp|file|data):\/{0,2}[^\s]+|\bwww\.[^\s]+/i;

/** The description as agents see it: hidden characters removed, capped. */
export function visibleText(description: string): string {
  return description.replace(HIDDEN, '').slice(0, MAX_DESCRIPTION_CHARS);
}

export function scanDescription(description: string): readonly ScanFlag[] {
  const flags: ScanFlag[] = [];
  if (description.search(HIDDEN) !== -1) flags.push('hidden_characters');
  const visible = description.replace(HIDDEN, '');
  // instructions are matched on the visible text AND with hidden characters turned into
  // nothing, so "ig\u200Bnore previous" is caught
  if (INSTRUCTION_PATTERNS.some((p) => p.test(visible))) flags.push('model_instructions');
  if (description.length > MAX_DESCRIPTION_CHARS) flags.push('very_long');
  if (URL_PATTERN.test(visible)) flags.push('urls');
  return Object.freeze(flags);
}
