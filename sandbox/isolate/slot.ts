/**
 * One worker slot: keeps one isolate-host child alive. Spawns it, kills it if it is not ready
 * within `readyTimeoutMs`, and after it ends respawns it (immediately after a crash of a
 * child that had been ready; with exponential backoff after failed starts).
 */
import type { WorkerResult } from '../worker-backend.ts';
import type { WorkerLimits } from '../limits.ts';
import { IsolateChild, type ChildCommand, type ChildEnd } from './child.ts';
import type { WorkerMessage } from '../ipc/messages.ts';

export interface InflightJob {
  readonly id: string;
  readonly limits: WorkerLimits;
  readonly startedAt: number;
  readonly timer: NodeJS.Timeout;
  /** resolves the caller's promise; later calls are ignored */
  readonly settle: (result: WorkerResult) => void;
}

export interface SlotOptions {
  readonly readyTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
}

export interface SlotEvents {
  readonly onReady: (slot: WorkerSlot) => void;
  readonly onResult: (slot: WorkerSlot, message: Extract<WorkerMessage, { t: 'result' }>) => void;
  /** the child ended; `jobs` were in flight on it (already removed from the slot) */
  readonly onEnd: (slot: WorkerSlot, end: ChildEnd, jobs: InflightJob[]) => void;
}

export class WorkerSlot {
  readonly inflight = new Map<string, InflightJob>();
  readonly #command: ChildCommand;
  readonly #options: SlotOptions;
  readonly #events: SlotEvents;
  #child: IsolateChild | undefined;
  #startFailures = 0;
  #readyTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** no new calls; the child is replaced once its in-flight calls are done */
  #draining = false;
  /** deliberately replaced (not failing): counts as ready for health */
  #recycling = false;
  #endWaiters: Array<() => void> = [];

  constructor(command: ChildCommand, options: SlotOptions, events: SlotEvents) {
    this.#command = command;
    this.#options = options;
    this.#events = events;
  }

  get ready(): boolean {
    return this.#child?.ready === true;
  }

  /** may take a new call */
  get accepting(): boolean {
    return this.ready && !this.#draining;
  }

  /** ready, or being replaced on purpose (a fresh child is on its way) */
  get serving(): boolean {
    return this.ready || this.#recycling;
  }

  /**
   * Replaces the child once its in-flight calls are done: used after a call ended with a
   * timeout or memory-limit, because a forcibly stopped isolate can leave the process unwell.
   */
  recycle(): void {
    this.#draining = true;
    if (this.inflight.size === 0 && this.#child !== undefined && !this.#child.ended) {
      this.#recycling = true;
      this.#child.kill('recycled');
    }
  }

  get startFailures(): number {
    return this.#startFailures;
  }

  get child(): IsolateChild | undefined {
    return this.#child;
  }

  spawn(): void {
    if (this.#closed) return;
    const child = new IsolateChild(this.#command, {
      onReady: () => {
        clearTimeout(this.#readyTimer);
        this.#recycling = false;
        this.#startFailures = 0;
        this.#events.onReady(this);
      },
      onResult: (message) => this.#events.onResult(this, message),
      onEnd: (end) => this.#onEnd(child, end),
    });
    this.#child = child;
    this.#draining = false;
    this.#readyTimer = setTimeout(() => child.kill('not ready in time'), this.#options.readyTimeoutMs);
  }

  kill(why: string): void {
    this.#child?.kill(why);
  }

  /** Stops the child for good; resolves once it has ended. */
  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child === undefined || child.ended) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#endWaiters.push(resolve));
    child.kill('backend closed');
    return done;
  }

  #onEnd(child: IsolateChild, end: ChildEnd): void {
    clearTimeout(this.#readyTimer);
    if (child !== this.#child) return;
    this.#child = undefined;
    if (!child.wasReady) {
      this.#startFailures += 1;
      this.#recycling = false;
    }
    const jobs = [...this.inflight.values()];
    this.inflight.clear();
    this.#events.onEnd(this, end, jobs);
    for (const resolve of this.#endWaiters.splice(0)) resolve();
    if (this.#closed) return;
    const failures = this.#startFailures;
    const delay = failures === 0 ? 0 : Math.min(this.#options.backoffInitialMs * 2 ** (failures - 1), this.#options.backoffMaxMs);
    this.#restartTimer = setTimeout(() => this.spawn(), delay);
  }
}
