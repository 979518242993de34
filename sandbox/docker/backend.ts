/**
 * Docker worker backend: a warm pool of locked-down containers, one job per container at a
 * time, a bounded queue, and replacement after a timeout, crash, OOM kill, protocol violation
 * or `maxJobsPerContainer` jobs. `fresh: true` jobs run in a brand-new container that is removed
 * afterwards. Container failures become result values; they never throw into the caller.
 */
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import type { BackendHealth, HealthChange, WorkerBackend, WorkerJob, WorkerResult } from '../worker-backend.ts';
import type { WorkerLimits } from '../limits.ts';
import { containerSpec, loadSeccompProfile } from './container-config.ts';
import { pingDaemon, removeStaleWorkers } from './daemon.ts';
import { ensureWorkerImage } from './image.ts';
import { DEFAULT_DOCKER_QUOTAS, type DockerQuotas } from './quotas.ts';
import { WorkerContainer } from './worker-container.ts';
import type { JobOutcome } from './worker-reply.ts';

export interface DockerBackendOptions {
  /** false: the backend reports 'disabled' and refuses every job */
  readonly enabled: boolean;
  readonly docker?: Docker;
  readonly quotas?: DockerQuotas;
  readonly poolSize?: number; // default 2
  readonly maxQueue?: number; // default 32
  /**
   * jobs per container before it is replaced. Default 1: handlers run in plain Node, so a job
   * could leave timers, patched globals or /tmp files behind for the next job; single-use
   * containers are still pre-started, so a call does not wait for a container start unless
   * calls arrive faster than containers start.
   */
  readonly maxJobsPerContainer?: number;
  readonly startTimeoutMs?: number; // default 30 s
  readonly healthIntervalMs?: number; // default 10 s
  /** use this image tag instead of building the worker image */
  readonly image?: string;
}

const MAX_START_FAILURES = 3;

interface Pending {
  readonly job: WorkerJob;
  readonly limits: WorkerLimits;
  readonly resolve: (outcome: JobOutcome) => void;
  readonly signal: AbortSignal | undefined;
}

export function createDockerBackend(options: DockerBackendOptions): WorkerBackend {
  const docker = options.docker ?? new Docker();
  const poolSize = options.poolSize ?? 2;
  const maxQueue = options.maxQueue ?? 32;
  const maxJobs = options.maxJobsPerContainer ?? 1;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const instance = randomUUID();
  const listeners = new Set<(change: HealthChange) => void>();
  const idle: WorkerContainer[] = [];
  const all = new Set<WorkerContainer>();
  const queue: Pending[] = [];
  const inFlight = new Set<Promise<void>>();
  let spec: Docker.ContainerCreateOptions | undefined;
  let health: BackendHealth = options.enabled
    ? { state: 'degraded', detail: 'starting' }
    : { state: 'disabled', detail: 'PALISADE_SANDBOX_BACKEND does not enable docker' };
  let starting = 0;
  let failures = 0;
  let fresh = 0;
  let closed = false;
  let monitor: NodeJS.Timeout | undefined;
  let checking = false;
  const freshWorkers = new Set<WorkerContainer>();

  function setHealth(next: BackendHealth): void {
    const from = health.state;
    health = next;
    if (from === next.state) return;
    const change: HealthChange = { backend: 'docker', from, to: next.state, detail: next.detail ?? '' };
    for (const listener of listeners) {
      try {
        listener(change);
      } catch {
        /* a listener's failure is not the pool's */
      }
    }
  }

  function fill(): void {
    while (!closed && spec !== undefined && health.state !== 'down' && failures < MAX_START_FAILURES && all.size + starting < poolSize) {
      starting += 1;
      const launch = WorkerContainer.start(docker, spec, startTimeoutMs).then(
        async (worker) => {
          starting -= 1;
          if (closed) return worker.destroy();
          failures = 0;
          all.add(worker);
          worker.onDeath = () => retire(worker);
          idle.push(worker);
          if (health.state !== 'healthy') setHealth({ state: 'healthy' });
          dispatch();
        },
        (error: unknown) => {
          starting -= 1;
          failures += 1;
          if (failures < MAX_START_FAILURES) return fill();
          // name the daemon when it is the cause; otherwise the container start error
          void pingDaemon(docker).then((ping) => {
            if (closed || failures < MAX_START_FAILURES) return;
            setHealth({ state: 'down', detail: ping.ok ? `worker containers fail to start: ${String(error).slice(0, 200)}` : ping.detail });
            flushQueue({ ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'docker workers cannot start' });
          });
        },
      );
      inFlight.add(launch);
      void launch.then(() => inFlight.delete(launch));
    }
  }

  function retire(worker: WorkerContainer): void {
    all.delete(worker);
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
    const removal = worker.destroy();
    inFlight.add(removal);
    void removal.then(() => inFlight.delete(removal));
    fill();
  }

  function flushQueue(outcome: JobOutcome): void {
    for (const pending of queue.splice(0)) pending.resolve(outcome);
  }

  function dispatch(): void {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.shift()!;
      const pending = queue.shift()!;
      const onAbort = (): void => void worker.destroy();
      pending.signal?.addEventListener('abort', onAbort, { once: true });
      void worker.run(pending.job.callId, pending.job.handler, pending.job.args, pending.limits).then((outcome) => {
        pending.signal?.removeEventListener('abort', onAbort);
        pending.resolve(outcome.ok || !pending.signal?.aborted ? outcome : { ok: false, code: 'SBX_ERR_ABORTED', message: 'call aborted' });
        if (worker.dead || worker.jobsRun >= maxJobs) retire(worker);
        else idle.push(worker);
        dispatch();
      });
    }
  }

  async function runFresh(job: WorkerJob, limits: WorkerLimits, signal: AbortSignal | undefined): Promise<JobOutcome> {
    if (spec === undefined) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'docker backend not started' };
    if (fresh >= maxQueue) return { ok: false, code: 'SBX_ERR_SATURATED', message: 'too many fresh containers' };
    fresh += 1;
    let worker: WorkerContainer | undefined;
    try {
      worker = await WorkerContainer.start(docker, spec, startTimeoutMs);
      freshWorkers.add(worker);
      if (closed || signal?.aborted) return { ok: false, code: 'SBX_ERR_ABORTED', message: 'call aborted' };
      const started = worker;
      const onAbort = (): void => void started.destroy();
      signal?.addEventListener('abort', onAbort, { once: true });
      const outcome = await worker.run(job.callId, job.handler, job.args, limits);
      signal?.removeEventListener('abort', onAbort);
      return outcome;
    } catch {
      return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'could not start a fresh container' };
    } finally {
      fresh -= 1;
      if (worker !== undefined) {
        freshWorkers.delete(worker);
        await worker.destroy();
      }
    }
  }

  /** daemon reachable → stale containers removed, image present, container spec ready */
  async function initialise(): Promise<boolean> {
    const ping = await pingDaemon(docker);
    if (!ping.ok) {
      setHealth({ state: 'down', detail: ping.detail });
      return false;
    }
    await removeStaleWorkers(docker, instance).catch(() => 0);
    let image = options.image;
    if (image === undefined) {
      const built = await ensureWorkerImage(docker);
      if (!built.ok) {
        setHealth({ state: 'down', detail: built.reason });
        return false;
      }
      image = built.tag;
    }
    spec = containerSpec({ image, quotas: options.quotas ?? DEFAULT_DOCKER_QUOTAS, seccomp: loadSeccompProfile(), instance });
    return true;
  }

  async function check(): Promise<void> {
    if (checking) return;
    checking = true;
    try {
      const ping = await pingDaemon(docker);
      if (closed) return;
      if (!ping.ok) {
        setHealth({ state: 'down', detail: ping.detail });
        flushQueue({ ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'docker daemon unreachable' });
        for (const worker of [...all]) retire(worker);
        return;
      }
      if (health.state !== 'down') return;
      if (spec === undefined && !(await initialise())) return;
      if (closed) return;
      failures = 0;
      setHealth({ state: 'degraded', detail: 'daemon reachable; starting workers' });
      fill();
    } finally {
      checking = false;
    }
  }

  return {
    name: 'docker',
    async start(): Promise<void> {
      if (!options.enabled || closed || monitor !== undefined) return;
      monitor = setInterval(() => void check(), options.healthIntervalMs ?? 10_000);
      monitor.unref();
      if (!(await initialise())) return;
      const ready = new Promise<void>((resolve) => {
        const listener = (change: HealthChange): void => {
          if (change.to !== 'healthy' && change.to !== 'down') return;
          listeners.delete(listener);
          resolve();
        };
        listeners.add(listener);
      });
      fill();
      await ready;
    },
    async run(job: WorkerJob, limits: WorkerLimits, signal?: AbortSignal): Promise<WorkerResult> {
      const began = performance.now();
      const done = (outcome: JobOutcome): WorkerResult => ({ ...outcome, durationMs: Math.round(performance.now() - began) });
      if (health.state === 'disabled' || health.state === 'down' || closed) {
        return done({ ok: false, code: 'SBX_ERR_UNAVAILABLE', message: `docker backend ${health.state}` });
      }
      if (signal?.aborted) return done({ ok: false, code: 'SBX_ERR_ABORTED', message: 'call aborted' });
      if (job.fresh === true) return done(await runFresh(job, limits, signal));
      if (queue.length >= maxQueue) return done({ ok: false, code: 'SBX_ERR_SATURATED', message: 'docker worker queue is full' });
      const outcome = await new Promise<JobOutcome>((resolve) => {
        const pending: Pending = { job, limits, resolve, signal };
        signal?.addEventListener('abort', () => {
          const at = queue.indexOf(pending);
          if (at >= 0) {
            queue.splice(at, 1);
            resolve({ ok: false, code: 'SBX_ERR_ABORTED', message: 'call aborted' });
          }
        }, { once: true });
        queue.push(pending);
        dispatch();
      });
      return done(outcome);
    },
    health(): BackendHealth {
      return health;
    },
    onHealthChange(listener: (change: HealthChange) => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close(): Promise<void> {
      closed = true;
      if (monitor !== undefined) clearInterval(monitor);
      flushQueue({ ok: false, code: 'SBX_ERR_ABORTED', message: 'backend closed' });
      const workers = [...all, ...freshWorkers];
      all.clear();
      idle.length = 0;
      await Promise.all([...workers.map((worker) => worker.destroy()), ...inFlight]);
      if (options.enabled && health.state !== 'disabled') setHealth({ state: 'down', detail: 'closed' });
    },
  };
}
