/**
 * One supervised isolate-host child process (supervisor side). Spawns it with a minimal env,
 * decodes its stdout as capped frames, parses every message as hostile, and reports exactly
 * one `onEnd` whatever happens (exit, crash, garbage, oversized frame, protocol violation,
 * kill). It never interprets results: the backend checks them against its in-flight jobs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FrameDecoder, encodeFrame } from '../ipc/frame.ts';
import { parseWorkerMessage, type RunMessage, type WorkerMessage } from '../ipc/messages.ts';
import { LIMITS } from '../limits.ts';

export interface ChildCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export type ChildEnd =
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: string | null; readonly stderrTail: string }
  | { readonly kind: 'protocol'; readonly detail: string }
  | { readonly kind: 'killed'; readonly why: string };

export interface ChildEvents {
  readonly onReady: () => void;
  readonly onResult: (message: Extract<WorkerMessage, { t: 'result' }>) => void;
  readonly onEnd: (end: ChildEnd) => void;
}

const STDERR_TAIL_BYTES = 8 * 1024;

/** Only what Node needs; never the supervisor's environment (tokens, keys). */
const CHILD_ENV: NodeJS.ProcessEnv = Object.freeze({ NODE_ENV: 'production' });

export class IsolateChild {
  readonly #proc: ChildProcess;
  readonly #events: ChildEvents;
  readonly #decoder = new FrameDecoder(LIMITS.frameBytes);
  #ready = false;
  #ended = false;
  #stderrTail = '';
  #pendingEnd: ChildEnd | undefined;

  constructor(command: ChildCommand, events: ChildEvents) {
    this.#events = events;
    this.#proc = spawn(command.command, [...command.args], { stdio: ['pipe', 'pipe', 'pipe'], env: CHILD_ENV });
    this.#proc.stdout!.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#proc.stderr!.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    this.#proc.stdin!.on('error', () => undefined); // EPIPE when the child died; 'exit' reports it
    this.#proc.on('error', (error) => this.#kill({ kind: 'protocol', detail: `spawn failed: ${error.message}` }));
    // 'close' (not 'exit'): stdio is drained, so the stderr tail is complete
    this.#proc.on('close', (code, signal) => {
      this.#finish(this.#pendingEnd ?? { kind: 'exited', code, signal, stderrTail: this.#stderrTail });
    });
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  get ready(): boolean {
    return this.#ready && !this.ended;
  }

  /** true once the child has said ready (stays true after it ended) */
  get wasReady(): boolean {
    return this.#ready;
  }

  get ended(): boolean {
    return this.#ended || this.#pendingEnd !== undefined;
  }

  /** Sends a run frame; false when the message does not fit a frame (nothing was sent). */
  send(message: RunMessage): { ok: true } | { ok: false; code: 'SBX_ERR_FRAME_TOO_LARGE' | 'SBX_ERR_BAD_FRAME'; message: string } {
    const encoded = encodeFrame(message, LIMITS.frameBytes);
    if (!encoded.ok) {
      const detail = encoded.error.code === 'SBX_ERR_FRAME_TOO_LARGE' ? `job is ${encoded.error.declared} bytes, frame limit ${encoded.error.max}` : encoded.error.reason;
      return { ok: false, code: encoded.error.code, message: detail };
    }
    this.#proc.stdin!.write(encoded.frame);
    return { ok: true };
  }

  /** Kills the child (SIGKILL); `onEnd` reports `end` once the process is gone. */
  kill(why: string): void {
    this.#kill({ kind: 'killed', why });
  }

  #kill(end: ChildEnd): void {
    if (this.#ended) return;
    this.#pendingEnd ??= end;
    this.#proc.stdout!.removeAllListeners('data');
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null || this.#proc.pid === undefined) {
      this.#finish(this.#pendingEnd);
      return;
    }
    this.#proc.kill('SIGKILL');
  }

  #finish(end: ChildEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#events.onEnd(end);
  }

  #onData(chunk: Buffer): void {
    if (this.ended) return;
    for (const event of this.#decoder.push(chunk)) {
      if (event.kind === 'error') {
        this.#kill({ kind: 'protocol', detail: `bad frame from worker: ${event.error.code}` });
        return;
      }
      const message = parseWorkerMessage(event.message);
      if (message === undefined) {
        this.#kill({ kind: 'protocol', detail: 'worker sent a message that breaks the protocol' });
        return;
      }
      if (message.t === 'ready') {
        if (this.#ready) {
          this.#kill({ kind: 'protocol', detail: 'worker sent ready twice' });
          return;
        }
        this.#ready = true;
        this.#events.onReady();
      } else if (!this.#ready) {
        this.#kill({ kind: 'protocol', detail: 'worker sent a result before ready' });
        return;
      } else {
        this.#events.onResult(message);
      }
      if (this.ended) return;
    }
  }
}
