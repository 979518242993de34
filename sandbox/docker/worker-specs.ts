/**
 * What the Docker backend needs from a reachable daemon before its pool can start: the runtime
 * (PALISADE_DOCKER_RUNTIME against the runtimes the daemon registers, runtime.ts), the worker
 * image (built locally when missing, image.ts) and the container create options for the pool,
 * plus a runsc spec for manifests that ask for the stronger runtime while the pool runs runc.
 * Any failure is a value naming the cause; the backend then suspends its pool (down).
 */
import type Docker from 'dockerode';
import { containerSpec, loadSeccompProfile, type WorkerLayer } from './container-config.ts';
import { ensureWorkerImage } from './image.ts';
import type { DockerQuotas } from './quotas.ts';
import { chooseRuntime, daemonRuntimes, type DockerRuntime, type DockerRuntimeSetting, type RegisteredRuntimes } from './runtime.ts';

export interface WorkerSpecsInput {
  readonly setting: DockerRuntimeSetting;
  /** a given image tag; undefined: the worker image is built (or found) */
  readonly image: string | undefined;
  readonly quotas: DockerQuotas;
  readonly instance: string;
  readonly layer: WorkerLayer;
  readonly log: (line: string) => void;
}

export interface WorkerSpecs {
  readonly registered: RegisteredRuntimes;
  readonly runtime: DockerRuntime;
  /** why this runtime (the setting, or what auto found) */
  readonly runtimeReason: string;
  /** e.g. "worker image palisade-worker:… built at start in 3.1 s"; undefined with a given image */
  readonly imageNote: string | undefined;
  readonly spec: Docker.ContainerCreateOptions;
  /** runsc spec while the pool runs runc; undefined when the pool already runs runsc */
  readonly strongerSpec: Docker.ContainerCreateOptions | undefined;
}

export type WorkerSpecsResult = ({ readonly ok: true } & WorkerSpecs) | { readonly ok: false; readonly detail: string };

export async function prepareWorkerSpecs(docker: Docker, input: WorkerSpecsInput): Promise<WorkerSpecsResult> {
  const registered = await daemonRuntimes(docker).catch(() => undefined);
  if (registered === undefined) return { ok: false, detail: 'Docker daemon did not list its runtimes' };
  const choice = chooseRuntime(input.setting, registered);
  if (!choice.ok) return { ok: false, detail: choice.reason };
  let image = input.image;
  let imageNote: string | undefined;
  if (image === undefined) {
    const began = Date.now();
    const built = await ensureWorkerImage(docker, false, input.log);
    if (!built.ok) return { ok: false, detail: built.reason };
    image = built.tag;
    imageNote = built.built ? `worker image ${image} built at start in ${((Date.now() - began) / 1000).toFixed(1)} s` : `worker image ${image}`;
  }
  const { quotas, instance, layer } = input;
  const runtime = choice.runtime;
  return {
    ok: true,
    registered,
    runtime,
    runtimeReason: choice.reason,
    imageNote,
    spec: containerSpec({ image, quotas, seccomp: loadSeccompProfile(runtime), instance, layer, runtime }),
    strongerSpec: runtime === 'runc' ? containerSpec({ image, quotas, seccomp: loadSeccompProfile('runsc'), instance, layer, runtime: 'runsc' }) : undefined,
  };
}
