import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerSpec, loadSeccompProfile } from '../../../sandbox/docker/container-config.ts';
import { parseDockerQuotas } from '../../../sandbox/docker/quotas.ts';
import { contextFiles, contextHash, DOCKERFILE, parseLdd } from '../../../sandbox/docker/image.ts';
import { mcpContainerSpec } from '../../../sandbox/docker/mcp-container.ts';

const quotas = parseDockerQuotas({ memory: '96m', cpus: '0.25', pids: '48' });
assert.ok(quotas.ok);
const seccomp = loadSeccompProfile();
const spec = containerSpec({ image: 'palisade-worker:test', quotas, seccomp, instance: 'i-1' });
const host = spec.HostConfig!;
const tmpfs = (): string | undefined => host.Tmpfs?.['/tmp'];

test('locks the container down as DESIGN §5 requires', () => {
  assert.equal(host.ReadonlyRootfs, true);
  assert.deepEqual(Object.keys(host.Tmpfs ?? {}), ['/tmp']);
  const tmpfs = host.Tmpfs?.['/tmp'] ?? '';
  for (const flag of ['size=16m', 'noexec', 'nosuid', 'nodev']) assert.ok(tmpfs.split(',').includes(flag), flag);
  assert.equal(host.NetworkMode, 'none');
  assert.equal(spec.NetworkDisabled, true);
  assert.deepEqual(host.CapDrop, ['ALL']);
  assert.deepEqual(host.CapAdd, []);
  assert.equal(host.Privileged, false);
  assert.equal(spec.User, '65534:65534');
  assert.deepEqual(host.LogConfig, { Type: 'none', Config: {} });
  assert.deepEqual(host.Binds, []);
  assert.deepEqual(host.Mounts, []);
  assert.deepEqual(spec.Env, ['MALLOC_MMAP_THRESHOLD_=131072'], 'only the fixed malloc setting, nothing from the host');
});

test('under runsc /tmp is read-only: this gVisor maps files of a noexec mount PROT_EXEC, so no writable mount is left to drop a library in', () => {
  assert.equal(tmpfs(), 'rw,size=16m,noexec,nosuid,nodev,mode=1777');
  const gvisor = containerSpec({ image: 'palisade-worker:test', quotas, seccomp: loadSeccompProfile('runsc'), instance: 'i-3', runtime: 'runsc' }).HostConfig!;
  assert.equal(gvisor.Tmpfs?.['/tmp'], 'ro,size=16m,noexec,nosuid,nodev,mode=1777');
  assert.equal(gvisor.ReadonlyRootfs, true);
  assert.deepEqual(gvisor.Binds, []);
  assert.deepEqual(gvisor.Mounts, []);
});

test('applies the configured quotas with swap equal to memory', () => {
  assert.equal(host.Memory, 96 * 1024 * 1024);
  assert.equal(host.MemorySwap, host.Memory);
  assert.equal(host.NanoCpus, 250_000_000);
  assert.equal(host.PidsLimit, 48);
  const names = (host.Ulimits ?? []).map((u) => u.Name).sort();
  assert.deepEqual(names, ['core', 'fsize', 'nofile'], 'no nproc under runc: it would count every process of the host uid 65534');
});

test('under runsc the task cap is RLIMIT_NPROC (the Sentry enforces it) and the host pids cgroup leaves room for the Sentry', () => {
  const gvisor = containerSpec({ image: 'palisade-worker:test', quotas, seccomp: loadSeccompProfile('runsc'), instance: 'i-2', runtime: 'runsc' }).HostConfig!;
  assert.equal(gvisor.Runtime, 'runsc');
  assert.deepEqual(gvisor.Ulimits?.find((u) => u.Name === 'nproc'), { Name: 'nproc', Soft: 48, Hard: 48 });
  assert.equal(gvisor.PidsLimit, 2 * 48 + 64, 'finite, above the worker cap by the Sentry headroom');
});

test('passes no-new-privileges and the seccomp profile text inline (not a path)', () => {
  assert.ok(host.SecurityOpt?.includes('no-new-privileges'));
  const opt = host.SecurityOpt?.find((o: string) => o.startsWith('seccomp='));
  assert.ok(opt !== undefined);
  const inline = JSON.parse(opt.slice('seccomp='.length)) as { defaultAction: string };
  assert.equal(inline.defaultAction, 'SCMP_ACT_ERRNO');
});

test('parses ldd output into library paths including the loader, excluding the vdso', () => {
  const out = [
    '\tlinux-vdso.so.1 (0x00007ffd)',
    '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f00)',
    '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f01)',
    '\t/lib64/ld-linux-x86-64.so.2 (0x00007f02)',
  ].join('\n');
  assert.deepEqual(parseLdd(out), ['/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
});

test('the image holds only node, its libraries and the worker sources, FROM scratch', () => {
  const files = contextFiles();
  assert.ok(DOCKERFILE.startsWith('FROM scratch\n'));
  const rootfs = files.map((f) => f.name).filter((n) => n.startsWith('rootfs/'));
  for (const name of rootfs) {
    assert.ok(name === 'rootfs/usr/local/bin/node' || name.startsWith('rootfs/app/') || /^rootfs\/(lib|lib64|usr\/lib)[^ ]*\.so[.0-9]*$/.test(name), name);
  }
  assert.ok(rootfs.includes('rootfs/lib64/ld-linux-x86-64.so.2'));
});

test('the content hash changes when any worker file changes', () => {
  const files = contextFiles();
  const before = contextHash(files);
  const changed = files.map((f) => (f.name === 'Dockerfile' ? { ...f, content: Buffer.from(`${DOCKERFILE}# changed\n`) } : f));
  assert.notEqual(contextHash(changed), before);
  assert.equal(contextHash(contextFiles()), before, 'stable for unchanged input');
});

test('an upstream MCP server container under runsc gets the runsc runtime, the runsc seccomp form and the read-only /tmp', () => {
  const mcp = mcpContainerSpec({
    image: 'palisade-worker:test', quotas, instance: 'i-4', runtime: 'runsc', server: 'fx', entry: '/srv/x/index.js', args: [], env: [], binds: [],
  });
  const hc = mcp.HostConfig!;
  assert.equal(hc.Runtime, 'runsc');
  assert.ok(hc.SecurityOpt!.includes(`seccomp=${loadSeccompProfile('runsc')}`), 'the profile in the form gVisor applies');
  assert.ok(!hc.SecurityOpt!.includes(`seccomp=${loadSeccompProfile('runc')}`));
  assert.equal(hc.Tmpfs?.['/tmp'], 'ro,size=16m,noexec,nosuid,nodev,mode=1777');
  const runc = mcpContainerSpec({ image: 'palisade-worker:test', quotas, instance: 'i-5', runtime: 'runc', server: 'fx', entry: '/srv/x/index.js', args: [], env: [], binds: [] });
  assert.equal(runc.HostConfig!.Runtime, 'runc');
  assert.ok(runc.HostConfig!.SecurityOpt!.includes(`seccomp=${loadSeccompProfile('runc')}`));
});
