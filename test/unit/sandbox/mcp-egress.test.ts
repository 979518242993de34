/**
 * The container side of network "egress-allowlist" (sandbox/docker/mcp-egress.ts): the runtime
 * name (runsc-egress required under runsc, never runc instead), the seccomp variant built from the
 * worker profile (AF_INET/AF_INET6 socket added, nothing else changed; the strict profile keeps
 * AF_UNIX only), and the container spec with and without egress.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadSeccompProfile } from '../../../sandbox/docker/container-config.ts';
import { mcpContainerSpec, type McpContainerInput } from '../../../sandbox/docker/mcp-container.ts';
import {
  EGRESS_RELAY_HOST_PATH, egressRuntime, egressSeccompProfile, RUNSC_EGRESS_ARGS, RUNSC_EGRESS_RUNTIME,
} from '../../../sandbox/docker/mcp-egress.ts';
import { DEFAULT_DOCKER_QUOTAS } from '../../../sandbox/docker/quotas.ts';
import { RUNSC_REQUIRED_ARGS } from '../../../sandbox/docker/runtime.ts';

type Rule = { names: string[]; action: string; args?: Array<{ value: number }>; comment?: string };
const rules = (text: string): Rule[] => (JSON.parse(text) as { syscalls: Rule[] }).syscalls;
const socketDomains = (text: string, name: string): number[] => rules(text)
  .filter((r) => r.names.includes(name) && r.action === 'SCMP_ACT_ALLOW').map((r) => r.args?.[0]?.value ?? -1).sort((a, b) => a - b);

test('egressRuntime: runc as is; runsc needs runsc-egress registered with runsc\'s args plus --host-uds=open', () => {
  const runsc = ['--platform=ptrace', '--network=none', ...RUNSC_REQUIRED_ARGS];
  assert.deepEqual(egressRuntime('runc', {}), { ok: true, name: 'runc' });
  const none = egressRuntime('runsc', { runc: [], runsc });
  assert.equal(none.ok, false);
  assert.match(none.ok ? '' : none.reason, /needs the Docker runtime runsc-egress, which the daemon does not register/);
  const noUds = egressRuntime('runsc', { runsc, [RUNSC_EGRESS_RUNTIME]: runsc });
  assert.match(noUds.ok ? '' : noUds.reason, /runsc-egress without --host-uds=open/);
  const noSeccomp = egressRuntime('runsc', { runsc, [RUNSC_EGRESS_RUNTIME]: ['--host-uds=open', '--overlay2=none'] });
  assert.match(noSeccomp.ok ? '' : noSeccomp.reason, /without --oci-seccomp/);
  assert.deepEqual(egressRuntime('runsc', { runsc, [RUNSC_EGRESS_RUNTIME]: [...runsc, '--host-uds=open'] }), { ok: true, name: RUNSC_EGRESS_RUNTIME });
  assert.deepEqual([...RUNSC_EGRESS_ARGS], [...RUNSC_REQUIRED_ARGS, '--host-uds=open']);
});

test('the egress seccomp variant adds AF_INET and AF_INET6 socket only; the strict profile keeps AF_UNIX only', () => {
  for (const runtime of ['runc', 'runsc'] as const) {
    const strict = loadSeccompProfile(runtime);
    const egress = egressSeccompProfile(runtime);
    assert.deepEqual(socketDomains(strict, 'socket'), [1], `${runtime}: strict socket`);
    assert.deepEqual(socketDomains(egress, 'socket'), [1, 2, 10], `${runtime}: egress socket`);
    assert.deepEqual(socketDomains(egress, 'socketpair'), [1], `${runtime}: socketpair stays AF_UNIX`);
    const added = rules(egress).filter((r) => !rules(strict).some((s) => JSON.stringify(s) === JSON.stringify(r)));
    assert.equal(added.length, 2, `${runtime}: two rules added`);
    assert.ok(added.every((r) => r.names.length === 1 && r.names[0] === 'socket' && /egress servers only/.test(r.comment ?? '')));
    const { syscalls: _s, ...strictRest } = JSON.parse(strict) as Record<string, unknown>;
    const { syscalls: _e, ...egressRest } = JSON.parse(egress) as Record<string, unknown>;
    assert.deepEqual(egressRest, strictRest, `${runtime}: default action and architectures unchanged`);
    assert.equal(rules(egress).length, rules(strict).length + 2);
  }
});

const INPUT: McpContainerInput = {
  image: 'palisade-worker:test', quotas: DEFAULT_DOCKER_QUOTAS, runtime: 'runsc', instance: 'i', server: 'web', entry: '/srv/pkg/index.js',
  args: ['--x'], env: ['A=b'], binds: [{ hostPath: '/h/pkg', containerPath: '/srv', readOnly: true }],
};

test('an egress server\'s spec: network none still, the egress runtime, the socket folder and relay read-only, the proxy env and preload', () => {
  const spec = mcpContainerSpec({ ...INPUT, egress: { socketDir: '/data/mcp-egress/web', runtimeName: RUNSC_EGRESS_RUNTIME } });
  const hc = spec.HostConfig!;
  assert.equal(hc.NetworkMode, 'none');
  assert.equal(spec.NetworkDisabled, true);
  assert.equal(hc.Runtime, RUNSC_EGRESS_RUNTIME);
  assert.deepEqual(hc.Binds, ['/h/pkg:/srv:ro', '/data/mcp-egress/web:/run/palisade-egress:ro', `${EGRESS_RELAY_HOST_PATH}:/run/palisade-egress-relay.mjs:ro`]);
  assert.deepEqual(spec.Entrypoint, ['/usr/local/bin/node', '--disable-proto=delete', '--liftoff-only', '--import', '/run/palisade-egress-relay.mjs', '/srv/pkg/index.js', '--x']);
  assert.deepEqual((spec.Env ?? []).slice(-4), ['HTTPS_PROXY=http://127.0.0.1:3128', 'HTTP_PROXY=http://127.0.0.1:3128', 'NO_PROXY=', 'NODE_USE_ENV_PROXY=1']);
  const seccomp = hc.SecurityOpt!.find((o: string) => o.startsWith('seccomp='))!.slice('seccomp='.length);
  assert.equal(seccomp, egressSeccompProfile('runsc'));
  assert.equal(hc.ReadonlyRootfs, true);
  assert.deepEqual(hc.CapDrop, ['ALL']);
  assert.equal(spec.User, '65534:65534');
  // the relay shipped with the repo: no dependencies, nothing on stdout, unref'd
  const relay = readFileSync(EGRESS_RELAY_HOST_PATH, 'utf8');
  assert.deepEqual([...relay.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]), ['node:net']);
  assert.doesNotMatch(relay, /console\.|process\.stdout/);
  assert.match(relay, /relay\.unref\(\)/);
  assert.match(relay, /const RELAY_PORT = 3128;/);
});

test('a network-none server\'s spec has none of it: the strict profile, its runtime, no proxy env, no preload, no socket', () => {
  const spec = mcpContainerSpec(INPUT);
  const hc = spec.HostConfig!;
  assert.equal(hc.Runtime, 'runsc');
  assert.deepEqual(hc.Binds, ['/h/pkg:/srv:ro']);
  assert.deepEqual(spec.Entrypoint, ['/usr/local/bin/node', '--disable-proto=delete', '/srv/pkg/index.js', '--x']);
  assert.ok(!(spec.Env ?? []).some((e) => /PROXY/.test(e)));
  assert.ok(hc.SecurityOpt!.includes(`seccomp=${loadSeccompProfile('runsc')}`));
});
