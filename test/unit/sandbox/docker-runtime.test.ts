/**
 * Issue 20: the Docker runtime setting, the choice against the daemon's runtimes, the manifest
 * override (only towards the stronger runtime) and the runsc form of the seccomp profile.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../../agent-gateway/config.ts';
import { containerSpec, loadSeccompProfile } from '../../../sandbox/docker/container-config.ts';
import { DEFAULT_DOCKER_QUOTAS } from '../../../sandbox/docker/quotas.ts';
import { chooseRuntime, manifestRuntime, parseRuntimeSetting } from '../../../sandbox/docker/runtime.ts';

test('PALISADE_DOCKER_RUNTIME: runc, runsc, auto; absent is auto; anything else refused with a stable code', () => {
  assert.deepEqual(parseRuntimeSetting(undefined), { ok: true, setting: 'auto' });
  for (const v of ['runc', 'runsc', 'auto'] as const) assert.deepEqual(parseRuntimeSetting(v), { ok: true, setting: v });
  for (const bad of ['RUNSC', 'gvisor', 'runsc ', 'kata', 'runc,runsc', '../runsc']) {
    const r = parseRuntimeSetting(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.equal(r.code, 'CONFIG_ERR_DOCKER_RUNTIME');
  }
});

test('the config parser refuses an unknown runtime at start and carries a known one', () => {
  const bad = parseConfig({ PALISADE_DOCKER_RUNTIME: 'kata' });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.ok(bad.problems.some((p) => p.startsWith('PALISADE_DOCKER_RUNTIME:')), bad.problems.join('; '));
  const good = parseConfig({ PALISADE_DOCKER_RUNTIME: 'runsc' });
  assert.ok(good.ok && good.config.dockerRuntime === 'runsc');
  const dflt = parseConfig({});
  assert.ok(dflt.ok && dflt.config.dockerRuntime === 'auto');
});

const GOOD = ['--platform=ptrace', '--network=none', '--oci-seccomp', '--overlay2=none'];

test('auto picks runsc only when the daemon lists it with --oci-seccomp; runsc configured but unusable is refused, never runc instead', () => {
  assert.deepEqual(chooseRuntime('auto', { runc: [], runsc: GOOD }), { ok: true, runtime: 'runsc', reason: 'auto: the daemon lists runsc (gVisor)' });
  const fallback = chooseRuntime('auto', { runc: [], 'io.containerd.runc.v2': [] });
  assert.ok(fallback.ok && fallback.runtime === 'runc');
  const missing = chooseRuntime('runsc', { runc: [] });
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.equal(missing.code, 'SBX_ERR_UNAVAILABLE');
  const pinned = chooseRuntime('runc', { runc: [], runsc: GOOD });
  assert.ok(pinned.ok && pinned.runtime === 'runc');
  // a runtime named like runsc but not exactly it does not count
  const lookalike = chooseRuntime('auto', { 'runsc-debug': GOOD, xrunsc: GOOD, RUNSC: GOOD });
  assert.ok(lookalike.ok && lookalike.runtime === 'runc');
});

test('runsc registered without --oci-seccomp would ignore the seccomp profile: refused when asked for, runc under auto', () => {
  const weak = { runc: [], runsc: ['--platform=ptrace', '--network=none', '--overlay2=none'] };
  const asked = chooseRuntime('runsc', weak);
  assert.equal(asked.ok, false);
  if (!asked.ok) assert.match(asked.reason, /without --oci-seccomp/);
  const auto = chooseRuntime('auto', weak);
  assert.ok(auto.ok && auto.runtime === 'runc' && /without --oci-seccomp/.test(auto.reason));
  const overlay = chooseRuntime('runsc', { runsc: ['--oci-seccomp'] });
  assert.ok(!overlay.ok && /--overlay2=none/.test(overlay.reason));
  const proto = chooseRuntime('auto', JSON.parse('{"__proto__": ["--oci-seccomp"]}') as Record<string, string[]>);
  assert.ok(proto.ok && proto.runtime === 'runc');
});

test('a manifest may ask only for a runtime at least as strong as the configured one', () => {
  assert.deepEqual(manifestRuntime(undefined, 'runsc', 't'), { ok: true, runtime: undefined });
  assert.deepEqual(manifestRuntime('runsc', 'runc', 't'), { ok: true, runtime: 'runsc' });
  assert.deepEqual(manifestRuntime('runsc', 'runsc', 't'), { ok: true, runtime: 'runsc' });
  assert.deepEqual(manifestRuntime('runc', 'runc', 't'), { ok: true, runtime: 'runc' });
  for (const [requested, setting] of [['runc', 'runsc'], ['runc', 'auto'], ['kata', 'runc'], [1, 'runc'], ['RUNSC', 'runc']] as const) {
    const r = manifestRuntime(requested, setting, 'tools/x');
    assert.equal(r.ok, false, `${String(requested)} under ${setting}`);
    if (!r.ok) assert.equal(r.code, 'TOOL_ERR_RUNTIME_WEAKER');
  }
});

test('HostConfig.Runtime names the runtime (runc unless asked)', () => {
  const base = { image: 'img:1', quotas: DEFAULT_DOCKER_QUOTAS, seccomp: '{}', instance: 'i' };
  assert.equal(containerSpec(base).HostConfig?.Runtime, 'runc');
  assert.equal(containerSpec({ ...base, runtime: 'runsc' }).HostConfig?.Runtime, 'runsc');
});

test('the runsc profile differs from the runc one only in the clone3 rule: ERRNO(38) becomes TRACE (ENOSYS without a tracer)', () => {
  type Rule = { names: string[]; action: string; errnoRet?: number; args?: unknown };
  const runc = JSON.parse(loadSeccompProfile('runc')) as { defaultAction: string; syscalls: Rule[] };
  const runsc = JSON.parse(loadSeccompProfile('runsc')) as { defaultAction: string; syscalls: Rule[] };
  assert.equal(runsc.defaultAction, runc.defaultAction);
  assert.equal(runsc.syscalls.length, runc.syscalls.length);
  const changed = runsc.syscalls.filter((r, i) => JSON.stringify(r) !== JSON.stringify(runc.syscalls[i]));
  assert.deepEqual(changed.map((r) => [r.names, r.action, r.errnoRet]), [[['clone3'], 'SCMP_ACT_TRACE', undefined]]);
  assert.equal(runc.syscalls.find((r) => r.names.includes('clone3'))?.errnoRet, 38);
  assert.equal(loadSeccompProfile(), loadSeccompProfile('runc'));
});

test('tool manifests: docker_runtime only towards the stronger runtime and only on docker-only tools, checked at load', async () => {
  const { toolRuntimeProblems } = await import('../../../sandbox/docker/runtime.ts');
  assert.deepEqual(toolRuntimeProblems([{ name: 'a', backend: 'docker', docker_runtime: 'runsc' }, { name: 'b', backend: 'any' }], 'runc'), []);
  const weaker = toolRuntimeProblems([{ name: 'a', backend: 'docker', docker_runtime: 'runc' }], 'runsc');
  assert.equal(weaker.length, 1);
  assert.match(weaker[0]!, /tool a: \/docker_runtime: "runc" is weaker than PALISADE_DOCKER_RUNTIME=runsc/);
  const notDocker = toolRuntimeProblems([{ name: 'c', backend: 'prefer-docker', docker_runtime: 'runsc' }], 'runc');
  assert.match(notDocker.join(';'), /needs "backend": "docker"/);
});

test('the gateway refuses to load a tool folder whose manifest asks for runc while runsc is configured', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadRegistry } = await import('../../../agent-gateway/gateway.ts');
  const dir = mkdtempSync(join(tmpdir(), 'palisade-rt-tools-'));
  try {
    mkdirSync(join(dir, 'weak.tool'));
    const manifest = { name: 'weak.tool', description: 'x', input_schema: { type: 'object' }, output_schema: {}, risk: 'high', requires_approval: false, backend: 'docker', docker_runtime: 'runc' };
    writeFileSync(join(dir, 'weak.tool', 'manifest.json'), JSON.stringify(manifest));
    writeFileSync(join(dir, 'weak.tool', 'handler.js'), 'return 1;');
    const withRunsc = parseConfig({ PALISADE_DOCKER_RUNTIME: 'runsc', PALISADE_TOOLS_DIR: dir });
    assert.ok(withRunsc.ok);
    if (withRunsc.ok) assert.throws(() => loadRegistry(withRunsc.config), /weak\.tool: \/docker_runtime: "runc" is weaker/);
    const withRunc = parseConfig({ PALISADE_DOCKER_RUNTIME: 'runc', PALISADE_TOOLS_DIR: dir });
    assert.ok(withRunc.ok);
    if (withRunc.ok) assert.equal(loadRegistry(withRunc.config).get('weak.tool')?.manifest.docker_runtime, 'runc');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
