/**
 * Demultiplexer for Docker's attach stream (Tty false): each chunk is an 8-byte header
 * [stream, 0, 0, 0, size u32 BE] followed by `size` bytes. Unlike dockerode's demuxStream this
 * one has caps: a header declaring more than `maxChunkBytes` poisons the demuxer before any of
 * the body is buffered, and stderr is kept only up to `maxStderrBytes` (the rest is counted and
 * dropped). A container controls these bytes, so they are hostile.
 */
export const DOCKER_HEADER_BYTES = 8;

export type DemuxEvent =
  | { readonly kind: 'stdout'; readonly data: Buffer }
  | { readonly kind: 'error'; readonly code: 'SBX_ERR_FRAME_TOO_LARGE' | 'SBX_ERR_BAD_FRAME'; readonly reason: string };

export interface DemuxOptions {
  readonly maxChunkBytes: number;
  readonly maxStderrBytes: number;
}

export class DockerDemuxer {
  readonly #opts: DemuxOptions;
  #pending: Buffer = Buffer.alloc(0);
  #failed: DemuxEvent | undefined;
  #stderr: Buffer[] = [];
  #stderrKept = 0;

  constructor(opts: DemuxOptions) {
    this.#opts = opts;
  }

  /** the first `maxStderrBytes` the container wrote on stderr */
  get stderr(): string {
    return Buffer.concat(this.#stderr).toString('utf8');
  }

  push(chunk: Buffer): DemuxEvent[] {
    if (this.#failed !== undefined) return [this.#failed];
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const events: DemuxEvent[] = [];
    while (this.#pending.length >= DOCKER_HEADER_BYTES) {
      const stream = this.#pending[0];
      const size = this.#pending.readUInt32BE(4);
      if ((stream !== 1 && stream !== 2) || this.#pending[1] !== 0 || this.#pending[2] !== 0 || this.#pending[3] !== 0) {
        return [...events, this.#fail({ kind: 'error', code: 'SBX_ERR_BAD_FRAME', reason: 'bad stream header' })];
      }
      if (size > this.#opts.maxChunkBytes) {
        return [...events, this.#fail({ kind: 'error', code: 'SBX_ERR_FRAME_TOO_LARGE', reason: `stream chunk of ${size} bytes` })];
      }
      if (this.#pending.length < DOCKER_HEADER_BYTES + size) break;
      const body = this.#pending.subarray(DOCKER_HEADER_BYTES, DOCKER_HEADER_BYTES + size);
      this.#pending = this.#pending.subarray(DOCKER_HEADER_BYTES + size);
      if (stream === 1) events.push({ kind: 'stdout', data: Buffer.from(body) });
      else this.#keepStderr(body);
    }
    return events;
  }

  #keepStderr(body: Buffer): void {
    const room = this.#opts.maxStderrBytes - this.#stderrKept;
    if (room <= 0) return;
    const kept = Buffer.from(body.subarray(0, room));
    this.#stderr.push(kept);
    this.#stderrKept += kept.length;
  }

  #fail(event: DemuxEvent): DemuxEvent {
    this.#failed = event;
    this.#pending = Buffer.alloc(0);
    return event;
  }
}
