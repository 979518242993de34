/**
 * Length-prefixed frames: a 4-byte unsigned big-endian length, then that many bytes of
 * UTF-8 JSON. The decoder rejects a declared length above its cap as soon as the 4-byte
 * header is read, before buffering any of the body, so a peer cannot make us allocate.
 */
import { LIMITS } from '../limits.ts';

export const HEADER_BYTES = 4;

export type FrameError =
  | { readonly code: 'SBX_ERR_FRAME_TOO_LARGE'; readonly declared: number; readonly max: number }
  | { readonly code: 'SBX_ERR_BAD_FRAME'; readonly reason: string };

export type EncodeResult =
  | { readonly ok: true; readonly frame: Buffer }
  | { readonly ok: false; readonly error: FrameError };

/** Encodes a JSON-serialisable message; refuses bodies over `max` bytes. */
export function encodeFrame(message: unknown, max: number = LIMITS.frameBytes): EncodeResult {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch {
    return { ok: false, error: { code: 'SBX_ERR_BAD_FRAME', reason: 'message is not serialisable' } };
  }
  if (text === undefined) {
    return { ok: false, error: { code: 'SBX_ERR_BAD_FRAME', reason: 'message is not serialisable' } };
  }
  const bodyLength = Buffer.byteLength(text, 'utf8');
  if (bodyLength > max) {
    return { ok: false, error: { code: 'SBX_ERR_FRAME_TOO_LARGE', declared: bodyLength, max } };
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + bodyLength);
  frame.writeUInt32BE(bodyLength, 0);
  frame.write(text, HEADER_BYTES, 'utf8');
  return { ok: true, frame };
}

export type DecodeEvent =
  | { readonly kind: 'message'; readonly message: unknown }
  | { readonly kind: 'error'; readonly error: FrameError };

/**
 * Incremental decoder. `push` returns the complete messages found so far; after the first
 * error the decoder is poisoned (the stream is out of sync) and every later push returns
 * that error again.
 */
export class FrameDecoder {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #expected = -1;
  #failed: FrameError | undefined;

  constructor(max: number = LIMITS.frameBytes) {
    this.#max = max;
  }

  get failed(): FrameError | undefined {
    return this.#failed;
  }

  push(chunk: Buffer): DecodeEvent[] {
    if (this.#failed) return [{ kind: 'error', error: this.#failed }];
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const events: DecodeEvent[] = [];
    for (;;) {
      if (this.#expected < 0) {
        if (this.#buffered < HEADER_BYTES) break;
        const header = this.#take(HEADER_BYTES);
        const declared = header.readUInt32BE(0);
        if (declared > this.#max) {
          return [...events, this.#fail({ code: 'SBX_ERR_FRAME_TOO_LARGE', declared, max: this.#max })];
        }
        this.#expected = declared;
      }
      if (this.#buffered < this.#expected) break;
      const body = this.#take(this.#expected);
      this.#expected = -1;
      let message: unknown;
      try {
        message = JSON.parse(body.toString('utf8'));
      } catch {
        return [...events, this.#fail({ code: 'SBX_ERR_BAD_FRAME', reason: 'frame body is not JSON' })];
      }
      events.push({ kind: 'message', message });
    }
    return events;
  }

  #fail(error: FrameError): DecodeEvent {
    this.#failed = error;
    this.#chunks = [];
    this.#buffered = 0;
    return { kind: 'error', error };
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return out;
  }
}
