/**
 * Talking to the Docker daemon about itself: a bounded ping for health, and removal of worker
 * containers whose supervisor process is gone (left behind by a crash or a kill -9).
 */
import type Docker from 'dockerode';
import { INSTANCE_LABEL, SUPERVISOR_PID_LABEL, WORKER_LABEL } from './container-config.ts';

export type PingResult = { readonly ok: true } | { readonly ok: false; readonly detail: string };

export async function pingDaemon(docker: Docker, timeoutMs = 5_000): Promise<PingResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const answer = docker.ping().then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : 'unknown error'),
  );
  const problem = await Promise.race([answer, timeout]);
  clearTimeout(timer);
  return problem === undefined ? { ok: true } : { ok: false, detail: `Docker daemon unreachable: ${problem.slice(0, 200)}` };
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes labelled worker containers whose supervisor pid is dead, or that carry our own instance id. */
export async function removeStaleWorkers(docker: Docker, ownInstance: string): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${WORKER_LABEL}=1`] } });
  let removed = 0;
  for (const info of list) {
    const pid = Number(info.Labels[SUPERVISOR_PID_LABEL]);
    const ours = pid === process.pid && info.Labels[INSTANCE_LABEL] === ownInstance;
    if (ours || !processAlive(pid)) {
      await docker.getContainer(info.Id).remove({ force: true }).then(() => (removed += 1), () => undefined);
    }
  }
  return removed;
}
