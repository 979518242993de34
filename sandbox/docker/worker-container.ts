/**
 * One worker container: created, attached (stdin/stdout multiplexed, own capped demuxer), started,
 * and driven over length-prefixed frames, several jobs at once when the pool allows it (each in
 * its own isolate inside). Everything the container sends is hostile: frames are capped,
 * messages parsed, ids matched against the jobs in flight, sizes re-checked. Any protocol
 * violation, crash, OOM kill or hard timeout ends the container; nothing here throws or rejects
 * into the supervisor for a container's misbehaviour.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { encodeFrame, FrameDecoder } from '../ipc/frame.ts';
import { isPrincipal } from '../ipc/messages.ts';
import type { SandboxErrorCode } from '../errors.ts';
import type { JsonValue } from '../json.ts';
import { LIMITS, KIB } from '../limits.ts';
import type { WorkerLimits } from '../limits.ts';
import { DockerDemuxer } from './demux.ts';
import { exitOutcome, judgeReply, reportedHeap, type Expectation, type JobOutcome } from './worker-reply.ts';

/** re-inspections of a 137 exit for a late OOM event, and the wait between them (ms) */
const OOM_EVENT_CHECKS = 4;
const OOM_EVENT_WAIT_MS = 250;

interface Current {
  readonly id: string;
  readonly maxOutputBytes: number;
  readonly resolve: (outcome: JobOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

export interface WorkerStartOptions {
  readonly startTimeoutMs: number;
  /**
   * extra wall time before the supervisor kills the container for a job past its limit: with
   * the isolate layer the worker ends an over-time job itself (SBX_ERR_TIMEOUT from inside) and
   * the container is killed only when the worker is wedged; 0 for the process layer
   */
  readonly hardTimeoutGraceMs: number;
}

export class WorkerContainer {
  readonly #container: Docker.Container;
  readonly #demux = new DockerDemuxer({ maxChunkBytes: LIMITS.frameBytes + 64 * KIB, maxStderrBytes: 8 * KIB });
  readonly #decoder = new FrameDecoder(LIMITS.frameBytes);
  #stream: Duplex | undefined;
  #ready: ((ok: boolean) => void) | undefined;
  readonly #current = new Map<string, Current>();
  readonly #graceMs: number;
  #dead = false;
  #exiting = false;
  #removed: Promise<void> | undefined;
  jobsRun = 0;
  /** when the worker reported ready (ms, Date.now) */
  readyAt = 0;
  /** last time a job was sent or answered, or the worker became ready (ms, Date.now) */
  lastActivity = 0;
  /** heap the worker reported with its last result (bytes), undefined before one */
  heapBytes: number | undefined;
  onDeath: (() => void) | undefined;

  private constructor(container: Docker.Container, graceMs: number) {
    this.#container = container;
    this.#graceMs = graceMs;
  }

  get inflight(): number {
    return this.#current.size;
  }

  get id(): string {
    return this.#container.id;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Creates and starts a container and waits for its worker's `ready`; removes it on failure. */
  static async start(docker: Docker, spec: Docker.ContainerCreateOptions, options: WorkerStartOptions): Promise<WorkerContainer> {
    const { startTimeoutMs } = options;
    const container = await docker.createContainer(spec);
    const worker = new WorkerContainer(container, options.hardTimeoutGraceMs);
    try {
      const ready = new Promise<boolean>((resolve) => {
        worker.#ready = resolve;
        setTimeout(() => resolve(false), startTimeoutMs).unref();
      });
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
      worker.#stream = stream;
      stream.on('data', (chunk: Buffer) => worker.#onData(chunk));
      stream.on('error', () => worker.#onExit());
      stream.on('close', () => worker.#onExit());
      stream.on('end', () => worker.#onExit());
      await container.start();
      if (!(await ready)) throw new Error(`worker did not report ready: ${worker.#demux.stderr.slice(0, 300)}`);
      worker.readyAt = Date.now();
      worker.lastActivity = worker.readyAt;
      return worker;
    } catch (error) {
      await worker.destroy();
      throw error;
    }
  }

  /**
   * `job.trusted` (from the manifest only) runs the handler in the worker's hardened realm;
   * `job.principal` (the agent) lets untrusted jobs of one agent share an isolate, never of two.
   * A principal the protocol cannot carry is left out: the job then gets an isolate of its own.
   */
  run(id: string, handler: string, args: JsonValue, limits: WorkerLimits, job: { readonly trusted?: boolean; readonly principal?: string } = {}): Promise<JobOutcome> {
    return new Promise<JobOutcome>((resolve) => {
      if (this.#dead || this.#current.has(id) || this.#stream === undefined) {
        resolve({ ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'worker not available' });
        return;
      }
      const message = {
        t: 'run', id, handler, args, timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb, maxOutputBytes: limits.maxOutputBytes,
        ...(job.trusted === true ? { trusted: true } : {}), ...(isPrincipal(job.principal) ? { principal: job.principal } : {}),
      };
      const encoded = encodeFrame(message);
      if (!encoded.ok) {
        resolve({ ok: false, code: 'SBX_ERR_FRAME_TOO_LARGE', message: 'job does not fit a frame' });
        return;
      }
      const timer = setTimeout(() => this.#finish(id, { ok: false, code: 'SBX_ERR_TIMEOUT', message: `no result within ${limits.timeoutMs} ms` }, true), limits.timeoutMs + this.#graceMs);
      this.#current.set(id, { id, maxOutputBytes: limits.maxOutputBytes, resolve, timer });
      this.jobsRun += 1;
      this.lastActivity = Date.now();
      this.#stream.write(encoded.frame);
    });
  }

  /**
   * Ends job `id` (undefined: every job in flight) with `outcome`; `kill` also ends the container,
   * and the other jobs in flight then end SBX_ERR_WORKER_CRASHED (their worker is gone).
   */
  #finish(id: string | undefined, outcome: JobOutcome, kill: boolean): void {
    const ended = id === undefined ? [...this.#current.values()] : [this.#current.get(id)].filter((c) => c !== undefined);
    for (const current of ended) {
      this.#current.delete(current.id);
      clearTimeout(current.timer);
    }
    if (!kill) {
      for (const current of ended) current.resolve(outcome);
      return;
    }
    const others = [...this.#current.values()];
    this.#current.clear();
    for (const other of others) clearTimeout(other.timer);
    // the callers learn the outcome only once the container (and the code in it) is gone
    void this.destroy().then(() => {
      for (const current of ended) current.resolve(outcome);
      for (const other of others) other.resolve({ ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'the container was ended because another job in it broke a limit' });
    });
  }

  #onData(chunk: Buffer): void {
    for (const event of this.#demux.push(chunk)) {
      if (event.kind === 'error') {
        this.#violation(event.code === 'SBX_ERR_FRAME_TOO_LARGE' ? 'SBX_ERR_OUTPUT_TOO_LARGE' : 'SBX_ERR_BAD_OUTPUT', event.reason);
        return;
      }
      for (const frame of this.#decoder.push(event.data)) {
        if (frame.kind === 'error') {
          this.#violation(frame.error.code === 'SBX_ERR_FRAME_TOO_LARGE' ? 'SBX_ERR_OUTPUT_TOO_LARGE' : 'SBX_ERR_BAD_OUTPUT', 'bad frame from worker');
          return;
        }
        if (!this.#onMessage(frame.message)) return;
      }
    }
  }

  /** returns false when the message ended the container */
  #onMessage(raw: unknown): boolean {
    const rawId = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string' ? raw.id : undefined;
    const current = rawId === undefined ? undefined : this.#current.get(rawId);
    const expecting: Expectation =
      this.#ready !== undefined ? { phase: 'starting' }
        : this.#current.size === 0 ? { phase: 'idle' }
          // no job in flight has this id: judged as "a result for another job"
          : current === undefined ? { phase: 'busy', id: '', maxOutputBytes: 0 }
            : { phase: 'busy', id: current.id, maxOutputBytes: current.maxOutputBytes };
    const judged = judgeReply(raw, expecting);
    switch (judged.kind) {
      case 'ready':
        this.#ready?.(true);
        this.#ready = undefined;
        return true;
      case 'result':
        this.heapBytes = reportedHeap(raw) ?? this.heapBytes;
        this.lastActivity = Date.now();
        this.#finish(current?.id ?? '', judged.outcome, false);
        return true;
      case 'violation':
        return this.#violation(judged.code, judged.message);
      default: {
        const never: never = judged;
        return this.#violation('SBX_ERR_BAD_OUTPUT', String(never));
      }
    }
  }

  #violation(code: SandboxErrorCode, message: string): false {
    this.#finish(undefined, { ok: false, code, message }, true);
    return false;
  }

  #onExit(): void {
    if (this.#ready !== undefined) {
      this.#ready(false);
      this.#ready = undefined;
    }
    if (this.#current.size === 0 || this.#exiting) {
      if (!this.#exiting) this.#markDead();
      return;
    }
    // keep the jobs pending (their timers still run) until we know why the container stopped
    this.#exiting = true;
    void this.#exitReason().then((outcome) => {
      if (this.#current.size > 0) this.#finish(undefined, outcome, true);
      this.#markDead();
    });
  }

  /**
   * Why the container stopped mid-job. Only the daemon's OOMKilled (the kernel's OOM kill in
   * the container's cgroup, recorded from a separate event) says "memory"; the exit code does
   * not: a handler can `process.exit(137)`, and under gVisor PID 1 can SIGKILL itself, both
   * exit 137 with no OOM kill (measured under runc and runsc). Since the OOM event can land just
   * after the exit, a 137 is re-inspected a few times before it is called a crash.
   */
  async #exitReason(): Promise<JobOutcome> {
    try {
      await Promise.race([this.#container.wait(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      let info = await this.#container.inspect();
      for (let attempt = 0; !info.State.OOMKilled && info.State.ExitCode === 137 && attempt < OOM_EVENT_CHECKS; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, OOM_EVENT_WAIT_MS));
        info = await this.#container.inspect();
      }
      return exitOutcome({ oomKilled: info.State.OOMKilled, exitCode: info.State.ExitCode, stderr: this.#demux.stderr });
    } catch {
      return { ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'worker exited' };
    }
  }

  #markDead(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.onDeath?.();
  }

  /** Kills and removes the container; a pending job ends SBX_ERR_ABORTED. Never rejects. */
  destroy(): Promise<void> {
    if (this.#current.size > 0) this.#finish(undefined, { ok: false, code: 'SBX_ERR_ABORTED', message: 'worker stopped' }, false);
    this.#markDead();
    this.#removed ??= (async () => {
      try {
        this.#stream?.destroy();
      } catch {
        /* already closed */
      }
      try {
        await this.#container.remove({ force: true, v: true });
      } catch {
        /* already gone, or the daemon is down: stale-container cleanup handles it */
      }
    })();
    return this.#removed;
  }
}
