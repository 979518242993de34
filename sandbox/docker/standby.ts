/**
 * Standby containers for the pool's start hook (issue 15). A reused container is retired every
 * N jobs (1024 by default; 256 when this was written): at 300 calls/s over 4 containers and
 * N = 256 that is one retirement every ~0.9 s,
 * and while its replacement is created, started and boots its worker (~150-400 ms under load)
 * the position serves nothing and the other jobs queue (up to SBX_ERR_SATURATED when several
 * retire together). Here a replacement is started BEFORE it is needed: `take()` hands over a
 * standby that is already ready and starts the next one in the background, so a retirement
 * swaps containers at once.
 *
 * A standby is a never-used container from the same spec, exactly as hardened as any other
 * (the spec does not change); it has run no job, so no job of any agent can have touched it. It
 * is not handed over if it died, if it was started from another spec (the daemon came back with
 * another runtime), or if it waited longer than `maxIdleMs` (its age counts from its ready time
 * towards the T-seconds rule). Standbys carry the worker labels, so a kill -9 of the gateway
 * leaves them to the label-based reaping at the next start like the pool's own containers;
 * close() removes them.
 */
import type Docker from 'dockerode';
import type { WorkerContainer } from './worker-container.ts';

export interface StandbyOptions {
  /** standbys kept ready (0: take() always starts a container) */
  readonly count: number;
  /** a standby older than this (ms since ready) is removed instead of handed over */
  readonly maxIdleMs: number;
  readonly start: (spec: Docker.ContainerCreateOptions) => Promise<WorkerContainer>;
  readonly log: (line: string) => void;
}

interface Standby {
  readonly worker: WorkerContainer;
  readonly spec: Docker.ContainerCreateOptions;
}

export class StandbyContainers {
  readonly #options: StandbyOptions;
  readonly #ready: Standby[] = [];
  #starting = 0;
  #closed = false;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: StandbyOptions) {
    this.#options = options;
  }

  /** standbys ready now (tests, diagnostics) */
  get readyCount(): number {
    return this.#ready.length;
  }

  /** A ready container of `spec`: a standby when one is usable, else one started now; the standby is refilled after. */
  async take(spec: Docker.ContainerCreateOptions): Promise<WorkerContainer> {
    const now = Date.now();
    let handed: WorkerContainer | undefined;
    for (const s of this.#ready.splice(0)) {
      const usable = s.spec === spec && !s.worker.dead && now - s.worker.readyAt < this.#options.maxIdleMs;
      if (!usable) this.#track(s.worker.destroy());
      else if (handed === undefined) handed = s.worker;
      else this.#ready.push(s);
    }
    const worker = handed ?? (await this.#options.start(spec));
    this.#refill(spec);
    return worker;
  }

  /** Starts standbys until `count` are ready or starting (a failed start is logged; the next take() tries again). */
  #refill(spec: Docker.ContainerCreateOptions): void {
    while (!this.#closed && this.#ready.length + this.#starting < this.#options.count) {
      this.#starting += 1;
      this.#track(this.#options.start(spec).then((worker) => {
        this.#starting -= 1;
        if (this.#closed) return worker.destroy();
        worker.onDeath = () => {
          const at = this.#ready.findIndex((s) => s.worker === worker);
          if (at >= 0) this.#ready.splice(at, 1);
        };
        this.#ready.push({ worker, spec });
        return undefined;
      }, (error: unknown) => {
        this.#starting -= 1;
        this.#options.log(`docker standby container failed to start: ${String(error instanceof Error ? error.message : error).slice(0, 300)}`);
      }));
    }
  }

  #track(p: Promise<void>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Removes every standby, also those still starting. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const s of this.#ready.splice(0)) {
      s.worker.onDeath = undefined;
      this.#track(s.worker.destroy());
    }
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
