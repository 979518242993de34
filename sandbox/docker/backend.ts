/**
 * Docker worker backend: a warm pool of locked-down containers driven by the shared pool core
 * (sandbox/pool-core.ts: queue, bounded wait, abort, saturation, health, drain, close).
 *
 * Two layers (issue 15, layer 'isolate', the default): each container is reused for many jobs,
 * `jobsPerContainer` at once, and every job runs in a fresh isolated-vm isolate inside it; the
 * container is retired by the rules in recycle.ts (N jobs, T seconds, a job that hit a limit or
 * crashed, worker memory above a threshold, a protocol violation). Between jobs, also of
 * different agents, the worker empties /tmp rather than the container being replaced: job code
 * has no filesystem or Node API in its isolate, so /tmp and the worker process can only be
 * touched through an isolate escape, and the N/T rules bound what such a process could see.
 * Layer 'process' (handlers in plain Node): single-use containers, as before issue 15.
 * A replacement comes from standby.ts: one never-used container kept started (isolate layer), so
 * a retirement swaps containers at once instead of leaving the position empty during a start.
 *
 * This file supplies the hooks (start a container, run a job on it, stop it), a tick that
 * retires idle containers past their age and probes idle ones (a wedged worker that does not
 * answer a probe is replaced), and the daemon watch: an unreachable daemon suspends the pool
 * (down), a reachable one resumes it. Containers left by a dead supervisor (kill -9) are removed
 * by label before the pool starts. The runtime, image and container specs come from
 * worker-specs.ts; `fresh: true` jobs and jobs asking for a stronger runtime run in a brand-new
 * container (fresh-runs.ts). Container failures become result values; they never throw.
 */
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { newDockerClient } from './client.ts';
import { createPoolCore, WITHDRAWN } from '../pool-core.ts';
import type { HealthChange, WorkerBackend, WorkerJob, WorkerResult } from '../worker-backend.ts';
import type { WorkerLimits } from '../limits.ts';
import type { WorkerLayer } from './container-config.ts';
import { pingDaemon, removeStaleWorkers } from './daemon.ts';
import { createFreshRuns } from './fresh-runs.ts';
import { StandbyContainers } from './standby.ts';
import { DEFAULT_DOCKER_QUOTAS, type DockerQuotas } from './quotas.ts';
import { DEFAULT_RECYCLE_RULES, recycleRules, recycleVerdict, type RecycleRules } from './recycle.ts';
import { chooseRuntime, isStronger, type DockerRuntime, type DockerRuntimeSetting } from './runtime.ts';
import { prepareWorkerSpecs } from './worker-specs.ts';
import { WorkerContainer, type WorkerStartOptions } from './worker-container.ts';
import type { JobOutcome } from './worker-reply.ts';

export interface DockerBackendOptions {
  /** false: the backend reports 'disabled' and refuses every job */
  readonly enabled: boolean;
  readonly docker?: Docker;
  readonly quotas?: DockerQuotas;
  readonly poolSize?: number; // default 2
  /** standby containers kept ready beyond poolSize, out of reach of any single principal (default 0) */
  readonly spare?: number;
  readonly maxQueue?: number; // default 32
  /** queued jobs of one principal (default maxQueue) */
  readonly maxQueuePerPrincipal?: number;
  /** longest wait in the queue, ms (default 30000) */
  readonly queueWaitMs?: number;
  /** 'isolate' (default): two layers, reused containers; 'process': plain Node, single-use */
  readonly layer?: WorkerLayer;
  /**
   * jobs per container before it is replaced. Default 1024 (recycle.ts) with the isolate layer; 1 with the
   * process layer (a job in plain Node could leave timers, patched globals or /tmp files behind
   * for the next job; tests of the outer layer raise it to compare containers across calls)
   */
  readonly maxJobsPerContainer?: number;
  /** container lifetime before it is replaced, ms (default 600000) */
  readonly maxContainerAgeMs?: number;
  /** worker heap above which the container is replaced, bytes (default half the memory quota) */
  readonly maxWorkerHeapBytes?: number;
  /** jobs one container runs at once (isolate layer; default 2, process layer 1) */
  readonly jobsPerContainer?: number;
  /** never-used containers kept started for the next replacement (standby.ts; default 1 with the isolate layer, 0 with the process layer) */
  readonly standby?: number;
  readonly startTimeoutMs?: number; // default 30 s
  readonly healthIntervalMs?: number; // default 10 s
  /** use this image tag instead of building the worker image */
  readonly image?: string;
  /** receives lifecycle lines (image build progress, container failures) */
  readonly log?: (line: string) => void;
  /** PALISADE_DOCKER_RUNTIME: runc | runsc | auto (default auto: runsc when the daemon lists it) */
  readonly runtime?: DockerRuntimeSetting;
}

const MAX_START_FAILURES = 3;
/** what an idle two-layer worker (node + isolated-vm + a spare isolate) keeps resident, MiB */
const WORKER_BASELINE_MIB = 40;

export function createDockerBackend(options: DockerBackendOptions): WorkerBackend {
  const docker = options.docker ?? newDockerClient();
  const maxQueue = options.maxQueue ?? 32;
  const layer: WorkerLayer = options.layer ?? 'isolate';
  const quotas = options.quotas ?? DEFAULT_DOCKER_QUOTAS;
  const rules: RecycleRules = recycleRules(quotas.memoryBytes, {
    maxJobs: Math.max(1, options.maxJobsPerContainer ?? (layer === 'process' ? 1 : DEFAULT_RECYCLE_RULES.maxJobs)),
    ...(options.maxContainerAgeMs === undefined ? {} : { maxAgeMs: options.maxContainerAgeMs }),
    ...(options.maxWorkerHeapBytes === undefined ? {} : { maxHeapBytes: options.maxWorkerHeapBytes }),
  });
  const perWorker = layer === 'process' ? 1 : Math.max(1, Math.min(8, options.jobsPerContainer ?? 2));
  // an isolate's heap limit must hit before the container's cgroup limit: an OOM kill would end
  // the other jobs in the container too (and charge them to their agents as crashes)
  const isolateBudgetMb = Math.max(8, Math.floor((quotas.memoryBytes / 1_048_576 - WORKER_BASELINE_MIB) / perWorker));
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const healthIntervalMs = options.healthIntervalMs ?? 10_000;
  const startOptions: WorkerStartOptions = { startTimeoutMs, hardTimeoutGraceMs: layer === 'isolate' ? 1_000 : 0 };
  const live = new Set<WorkerContainer>();
  const stopRequested = new WeakMap<WorkerContainer, number>();
  const log = options.log ?? ((): void => undefined);
  const instance = randomUUID();
  const fresh = createFreshRuns(docker, startOptions, maxQueue);
  const standby = new StandbyContainers({
    count: Math.max(0, options.standby ?? (layer === 'isolate' ? 1 : 0)), maxIdleMs: rules.maxAgeMs / 2, log,
    start: (from) => WorkerContainer.start(docker, from, startOptions),
  });
  let spec: Docker.ContainerCreateOptions | undefined;
  /** a manifest asked for a stronger runtime than the pool's: its jobs' fresh-container spec */
  let strongerSpec: Docker.ContainerCreateOptions | undefined;
  let registered: Readonly<Record<string, readonly string[]>> = {};
  let closed = false;
  let monitor: NodeJS.Timeout | undefined;
  let checking = false;
  let imageNote: string | undefined;
  let runtimeNote: string | undefined;
  let runtime: DockerRuntime | undefined;

  const core = createPoolCore<WorkerContainer>({
    name: 'docker',
    size: options.poolSize ?? 2,
    spare: options.spare ?? 0,
    perWorker,
    queueLimit: maxQueue,
    queueLimitPerPrincipal: options.maxQueuePerPrincipal ?? maxQueue,
    ...(options.queueWaitMs === undefined ? {} : { queueWaitMs: options.queueWaitMs }),
    maxStartFailures: MAX_START_FAILURES,
    backoffInitialMs: 100,
    backoffMaxMs: 5_000,
    // single-use containers end all the time: a replacement counts as ready until it fails to start
    routineReplacement: true,
    initialHealth: { state: 'degraded', detail: 'starting' },
    log,
  }, {
    start: async (died) => {
      if (spec === undefined) throw new Error('docker backend not initialised');
      try {
        const worker = await standby.take(spec); // a started standby when one is ready (a retirement swaps at once)
        live.add(worker);
        worker.onDeath = () => {
          live.delete(worker);
          died('container ended');
        };
        return worker;
      } catch (error) {
        // name the daemon when it is the cause: an unreachable daemon suspends the pool (down)
        const ping = await pingDaemon(docker);
        if (!ping.ok) core.suspend(ping.detail);
        throw error;
      }
    },
    run: async (worker, job, limits, stop) => {
      // a stopped job ends its container once every job in it was stopped (abortAll, close); a
      // lone stopped job among others runs out in its isolate and the container is retired after
      const onStop = (): void => {
        const stopped = (stopRequested.get(worker) ?? 0) + 1;
        stopRequested.set(worker, stopped);
        if (stopped >= worker.inflight) void worker.destroy();
      };
      stop.addEventListener('abort', onStop, { once: true });
      const capped = layer === 'isolate' ? { ...limits, memoryMb: Math.min(limits.memoryMb, isolateBudgetMb) } : limits;
      const outcome = await worker.run(job.callId, job.handler, job.args, capped, job);
      stop.removeEventListener('abort', onStop);
      return stop.aborted ? { ok: false, code: 'SBX_ERR_ABORTED', message: 'the job was stopped' } : outcome;
    },
    stop: (worker) => {
      live.delete(worker);
      worker.onDeath = undefined; // the pool stops it on purpose: no second "ended" report
      return worker.destroy();
    },
    replaceAfter: (worker, outcome) => {
      const verdict = (stopRequested.get(worker) ?? 0) > 0
        ? { retire: true as const, reason: 'a job in it was stopped' }
        : recycleVerdict(worker, rules, Date.now(), outcome);
      if (verdict.retire) log(`docker worker retired: ${verdict.reason}`);
      return verdict.retire;
    },
  });

  /** Health tick: idle containers past their age are replaced, idle ones must answer a probe. */
  async function tick(): Promise<void> {
    const now = Date.now();
    await Promise.all([...live].map(async (worker) => {
      if (worker.dead || worker.inflight > 0) return;
      const verdict = recycleVerdict(worker, rules, now);
      if (verdict.retire) {
        log(`docker worker retired while idle: ${verdict.reason}`);
        live.delete(worker);
        await worker.destroy(); // the pool sees it end and starts a replacement
        return;
      }
      if (layer !== 'isolate' || now - worker.lastActivity < healthIntervalMs) return;
      const probe = await worker.run(`probe-${randomUUID()}`, 'return 1;', null, { timeoutMs: 2_000, memoryMb: 8, maxOutputBytes: 16 });
      if (!probe.ok || probe.value !== 1) {
        log(`docker worker failed its health probe (${probe.ok ? 'wrong answer' : probe.code}): replaced`);
        live.delete(worker);
        await worker.destroy();
      }
    }));
  }

  /** daemon reachable → stale containers removed, image present, container spec ready */
  async function initialise(): Promise<boolean> {
    const ping = await pingDaemon(docker);
    if (!ping.ok) {
      core.suspend(ping.detail);
      return false;
    }
    await removeStaleWorkers(docker, instance).catch(() => 0);
    const ready = await prepareWorkerSpecs(docker, { setting: options.runtime ?? 'auto', image: options.image, quotas, instance, layer, log });
    if (!ready.ok) {
      core.suspend(ready.detail);
      return false;
    }
    if (runtime === undefined) log(`docker worker runtime ${ready.runtime} (${ready.runtimeReason})`);
    ({ registered, runtime, spec, strongerSpec } = ready);
    runtimeNote = `runtime ${runtime}${runtime === 'runsc' ? ' (gVisor)' : ''}`;
    imageNote = ready.imageNote ?? imageNote;
    return true;
  }

  async function check(): Promise<void> {
    if (checking) return;
    checking = true;
    try {
      const ping = await pingDaemon(docker);
      if (closed) return;
      if (!ping.ok) {
        if (core.health().state !== 'down' || core.health().detail !== ping.detail) core.suspend(ping.detail);
        return;
      }
      if (core.health().state !== 'down') {
        await tick();
        return;
      }
      if (spec === undefined && !(await initialise())) return;
      if (closed) return;
      core.resume();
      if (!core.started) void core.start();
    } finally {
      checking = false;
    }
  }

  return {
    name: 'docker',
    async start(): Promise<void> {
      if (!options.enabled || closed || monitor !== undefined) return;
      monitor = setInterval(() => void check(), healthIntervalMs);
      monitor.unref();
      if (!(await initialise())) return;
      await core.start();
    },
    async run(job: WorkerJob, limits: WorkerLimits, signal?: AbortSignal, withdraw?: AbortSignal): Promise<WorkerResult> {
      if (!options.enabled) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'docker backend disabled', durationMs: 0 };
      // a fresh container is not queued: it is withdrawn only if the caller left before it began
      if (withdraw?.aborted === true) return { ok: false, code: 'SBX_ERR_ABORTED', message: WITHDRAWN, durationMs: 0 };
      if (job.dockerRuntime !== undefined && runtime !== undefined && isStronger(job.dockerRuntime, runtime)) {
        // the manifest asks for gVisor while the pool runs runc: a fresh runsc container, or a refusal
        const began = performance.now();
        const usable = chooseRuntime(job.dockerRuntime, registered);
        const outcome: JobOutcome = !usable.ok || strongerSpec === undefined || closed
          ? { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: `tool needs Docker runtime ${job.dockerRuntime}: ${usable.ok ? 'backend not ready' : usable.reason}` }
          : await fresh.run(job, limits, signal, strongerSpec);
        return { ...outcome, durationMs: Math.round(performance.now() - began) };
      }
      if (job.fresh !== true || closed || core.health().state === 'down') return core.run(job, limits, signal, withdraw);
      const began = performance.now();
      const outcome = await fresh.run(job, limits, signal, spec);
      return { ...outcome, durationMs: Math.round(performance.now() - began) };
    },
    abortAll(code, message): number {
      return fresh.abortAll(code, message) + core.abortAll(code, message);
    },
    describe: () => {
      const image = imageNote ?? (options.image === undefined ? undefined : `worker image ${options.image}`);
      return image === undefined ? runtimeNote : runtimeNote === undefined ? image : `${image}, ${runtimeNote}`;
    },
    health() {
      return options.enabled ? core.health() : { state: 'disabled', detail: 'PALISADE_SANDBOX_BACKEND does not enable docker' };
    },
    onHealthChange(listener: (change: HealthChange) => void): () => void {
      return core.onHealthChange(listener);
    },
    async close(): Promise<void> {
      closed = true;
      if (monitor !== undefined) clearInterval(monitor);
      await fresh.close();
      await standby.close();
      if (options.enabled) await core.close();
    },
  };
}
