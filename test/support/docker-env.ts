/**
 * Docker availability for tests: a reason to skip when no daemon is reachable locally, but a
 * hard failure when CI=true (a missing daemon in CI is a failure, not a skip).
 */
import Docker from 'dockerode';

export async function dockerSkipReason(): Promise<string | undefined> {
  const docker = new Docker();
  let problem: string | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000).unref()),
    ]);
  } catch (error) {
    problem = `no Docker daemon reachable (${error instanceof Error ? error.message : String(error)})`;
  }
  if (problem === undefined) return undefined;
  if (process.env['CI'] === 'true') throw new Error(`CI=true but ${problem}; run scripts/ensure-docker.sh first`);
  return `${problem}; run scripts/ensure-docker.sh to enable these tests`;
}

/** Lists containers this test process left behind (labelled palisade.worker, our pid). */
export async function leftoverContainers(): Promise<string[]> {
  const docker = new Docker();
  const list = await docker.listContainers({ all: true, filters: { label: [`palisade.supervisor-pid=${process.pid}`] } });
  return list.map((c) => c.Id);
}

/**
 * Handler source that returns the id of the container it runs in: from /proc/self/cgroup
 * (cgroup v1) or, with a private cgroup namespace (v2), from the /etc/hostname bind mount.
 */
export const CONTAINER_ID_HANDLER = `const fs = process.getBuiltinModule('node:fs');
  return /\\/docker\\/([0-9a-f]{64})/.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1]
    ?? /containers\\/([0-9a-f]{64})\\//.exec(fs.readFileSync('/proc/self/mountinfo', 'utf8'))?.[1] ?? null;`;
