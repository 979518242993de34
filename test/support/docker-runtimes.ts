/**
 * The Docker runtimes the Docker escape and hardening tests run under (issue 20): a matrix, not
 * a copy. Each test file loops `for (const runtime of DOCKER_TEST_RUNTIMES)` around its cases
 * and names the runtime in the test name. runc always; runsc (gVisor) when the daemon has it
 * registered with --oci-seccomp. With CI=true both must be there: a missing runsc is a failure
 * (thrown at import, so the file fails), never a silent skip.
 */
import Docker from 'dockerode';
import { chooseRuntime, daemonRuntimes, type DockerRuntime } from '../../sandbox/docker/runtime.ts';
import { dockerSkipReason } from './docker-env.ts';

async function available(): Promise<DockerRuntime[]> {
  if ((await dockerSkipReason()) !== undefined) return ['runc']; // the tests skip on their own
  const registered = await daemonRuntimes(new Docker());
  const runsc = chooseRuntime('runsc', registered);
  if (runsc.ok) return ['runc', 'runsc'];
  if (process.env['CI'] === 'true') throw new Error(`CI=true but runsc is not usable: ${runsc.reason}`);
  process.stderr.write(`note: Docker tests run under runc only: ${runsc.reason}\n`);
  return ['runc'];
}

export const DOCKER_TEST_RUNTIMES: readonly DockerRuntime[] = Object.freeze(await available());

/** true when the runtime interposes gVisor's Sentry (a user-space kernel) */
export const isGvisor = (runtime: DockerRuntime): boolean => runtime === 'runsc';
