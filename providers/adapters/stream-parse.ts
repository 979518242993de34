/**
 * Incremental parsers for streamed provider bodies. Both keep at most one line (or one SSE
 * event) in memory and throw PRV_ERR_RESPONSE_TOO_LARGE when it exceeds its cap.
 */
import { ProviderError } from '../errors.ts';

/** Splits a byte stream into lines (LF, CRLF or CR), each at most `maxLineChars`. */
export async function* readLines(body: AsyncIterable<Uint8Array>, maxLineChars: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let buffer = '';
  let skipLf = false;
  const feed = function* (text: string): Generator<string> {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (skipLf) {
        skipLf = false;
        if (ch === 10) {
          start = i + 1;
          continue;
        }
      }
      if (ch === 10 || ch === 13) {
        const line = buffer + text.slice(start, i);
        buffer = '';
        start = i + 1;
        if (ch === 13) skipLf = true;
        if (line.length > maxLineChars) throw new ProviderError('PRV_ERR_RESPONSE_TOO_LARGE', `line over ${maxLineChars} chars`);
        yield line;
      }
    }
    buffer += text.slice(start);
    if (buffer.length > maxLineChars) throw new ProviderError('PRV_ERR_RESPONSE_TOO_LARGE', `line over ${maxLineChars} chars`);
  };
  for await (const chunk of body) yield* feed(decoder.decode(chunk, { stream: true }));
  yield* feed(decoder.decode());
  if (buffer.length > 0) yield buffer;
}

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/** Server-sent events from lines: comments skipped, multi-line data joined, event capped. */
export async function* readSse(lines: AsyncIterable<string>, maxEventChars: number): AsyncGenerator<SseEvent> {
  let event = '';
  let data: string[] = [];
  let size = 0;
  for await (const line of lines) {
    if (line === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      size = 0;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      size += value.length + 1;
      if (size > maxEventChars) throw new ProviderError('PRV_ERR_RESPONSE_TOO_LARGE', `event over ${maxEventChars} chars`);
      data.push(value);
    } else if (field === 'event') {
      event = value.slice(0, 64);
    }
  }
  if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
}

/** JSON.parse for provider frames: malformed text becomes PRV_ERR_BAD_RESPONSE. */
export function parseFrame(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'frame is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'frame is not an object');
  }
  return value as Record<string, unknown>;
}

export function obj(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function count(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}
