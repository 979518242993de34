/**
 * The runtime an upstream server's container gets (issue 20 item 1): the workers' rule
 * (mcpRuntime → runtime.ts chooseRuntime) against what the daemon registers, resolved before any
 * package copy or image work. A daemon stub answers `info()` only; `runsc` set but not usable
 * refuses the start with GW_ERR_UPSTREAM_START naming the cause (never a silent runc), and the
 * choice is retried after a failure, not cached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { UpstreamSupervisor } from '../../../agent-gateway/upstream/supervisor.ts';
import type { UpstreamOptions } from '../../../agent-gateway/upstream/running.ts';
import type { ServerRecord } from '../../../agent-gateway/upstream/store.ts';
import { silentLogger } from '../../../agent-gateway/logger.ts';
import { DEFAULT_DOCKER_QUOTAS } from '../../../sandbox/docker/quotas.ts';
import type { DockerRuntimeSetting } from '../../../sandbox/docker/runtime.ts';

const RECORD: ServerRecord = {
  name: 'fx', package: 'not-looked-up-before-the-runtime', version: '1.0.0', args: [], envNames: [], mounts: [], network: 'none', createdBy: 'admin', createdAt: 0,
};

function supervisor(setting: DockerRuntimeSetting, runtimes: () => Record<string, unknown>): { sup: UpstreamSupervisor; infoCalls: () => number; dataDir: string } {
  let calls = 0;
  const docker = { info: async () => { calls += 1; return { Runtimes: runtimes() }; } } as unknown as Docker;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'palisade-upstream-runtime-'));
  const options = {
    store: undefined as never, docker: () => docker, roots: [], dataDir, quotas: DEFAULT_DOCKER_QUOTAS, runtime: setting,
    events: { record: async () => undefined } as never, logger: silentLogger, raise: () => undefined, builtinNames: [],
    limits: { callTimeoutMs: 1000, isolateMemoryMb: 64, outputBytes: 1024 }, now: () => 0,
  } satisfies UpstreamOptions;
  return { sup: new UpstreamSupervisor(options), infoCalls: () => calls, dataDir };
}

const startError = async (sup: UpstreamSupervisor, record: ServerRecord = RECORD): Promise<{ code?: unknown; detail?: unknown }> => {
  try {
    await sup.boot(record, {}, undefined);
  } catch (error) {
    return error as { code?: unknown; detail?: unknown };
  }
  assert.fail('boot must fail');
};

test('PALISADE_DOCKER_RUNTIME=runsc with no runsc registered: GW_ERR_UPSTREAM_START naming it, before the package is looked up', async () => {
  const { sup } = supervisor('runsc', () => ({ runc: { path: 'runc' } }));
  const e = await startError(sup);
  assert.equal(e.code, 'GW_ERR_UPSTREAM_START');
  assert.match(String(e.detail), /PALISADE_DOCKER_RUNTIME=runsc but the Docker daemon has no runsc runtime registered/);
});

test('runsc registered without --oci-seccomp / --overlay2=none does not count: refused, the missing flags named', async () => {
  const { sup } = supervisor('runsc', () => ({ runc: {}, runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--platform=ptrace'] } }));
  const e = await startError(sup);
  assert.equal(e.code, 'GW_ERR_UPSTREAM_START');
  assert.match(String(e.detail), /without --oci-seccomp --overlay2=none/);
});

test('a refused runtime is asked again at the next start; a usable one lets the start go on to the package', async () => {
  let registered: Record<string, unknown> = { runc: {} };
  const { sup, infoCalls } = supervisor('runsc', () => registered);
  assert.equal((await startError(sup)).code, 'GW_ERR_UPSTREAM_START');
  registered = { runc: {}, runsc: { runtimeArgs: ['--oci-seccomp', '--overlay2=none'] } };
  const next = await startError(sup);
  assert.equal(infoCalls(), 2, 'not cached after the failure');
  assert.equal(next.code, 'GW_ERR_UPSTREAM_PACKAGE', 'past the runtime: the (missing) package is the next check');
});

const RUNSC = { path: '/usr/bin/runsc', runtimeArgs: ['--platform=ptrace', '--network=none', '--oci-seccomp', '--overlay2=none'] };
const EGRESS: ServerRecord = { ...RECORD, network: 'egress-allowlist' };

test('network egress-allowlist under runsc without runsc-egress registered: refused naming the missing runtime, never runc instead', async () => {
  const { sup } = supervisor('runsc', () => ({ runc: {}, runsc: RUNSC }));
  const e = await startError(sup, EGRESS);
  assert.equal(e.code, 'GW_ERR_UPSTREAM_START');
  assert.match(String(e.detail), /needs the Docker runtime runsc-egress, which the daemon does not register/);
  const noUds = supervisor('runsc', () => ({ runc: {}, runsc: RUNSC, 'runsc-egress': RUNSC }));
  assert.match(String((await startError(noUds.sup, EGRESS)).detail), /runsc-egress without --host-uds=open/);
  // the same daemon starts a network-none server: only egress servers need runsc-egress
  assert.equal((await startError(sup, RECORD)).code, 'GW_ERR_UPSTREAM_PACKAGE');
  // with runsc-egress registered the egress server goes on to the package
  const ok = supervisor('runsc', () => ({ runc: {}, runsc: RUNSC, 'runsc-egress': { ...RUNSC, runtimeArgs: [...RUNSC.runtimeArgs, '--host-uds=open'] } }));
  assert.equal((await startError(ok.sup, EGRESS)).code, 'GW_ERR_UPSTREAM_PACKAGE');
});
