/**
 * The worker image: built locally from a tar context, never pulled. `FROM scratch` holding
 * only the pinned Node binary, isolated-vm's native addon (the prebuilt one this checkout's
 * node-gyp-build resolves), exactly the shared libraries `ldd` names for the two (plus the
 * dynamic loader), the worker runtime sources (as JavaScript, types stripped at build: worker-js.ts) and the SES lockdown bundle of the trusted realm. The tag is a content hash of all of it, so a
 * changed worker or Node binary produces a new tag and a rebuild.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { jsName, workerJs } from './worker-js.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const IMAGE_REPO = 'palisade-worker';
export const NODE_PATH_IN_IMAGE = '/usr/local/bin/node';
/** the worker's entry: the image holds its sources as JavaScript (worker-js.ts) */
export const WORKER_ENTRY = '/app/sandbox/docker/worker/main.js';
/** must match IVM_ADDON_IN_IMAGE in worker/main.ts */
export const IVM_ADDON_PATH_IN_IMAGE = '/app/native/isolated_vm.node';

/**
 * The two packages sandbox/isolate/trusted-realm.ts imports, as the worker finds them in /app:
 * `isolated-vm` is its package entry with node-gyp-build's lookup replaced by the addon's fixed
 * path (the image holds no node-gyp-build), `ses` is only its SES lockdown bundle (the realm
 * reads that one file next to what `require.resolve('ses')` names).
 */
const IVM_PACKAGE_JSON = '{"name":"isolated-vm","main":"./isolated-vm.cjs"}\n';
const IVM_ENTRY = `module.exports = require(${JSON.stringify(IVM_ADDON_PATH_IN_IMAGE)}).ivm;\n`;
const SES_PACKAGE_JSON = '{"name":"ses","main":"./dist/lockdown.umd.min.js"}\n';

export function resolveSesLockdown(): string {
  return realpathSync(path.join(path.dirname(require.resolve('ses')), 'lockdown.umd.min.js'));
}

/** Where the worker's sources start: it and everything it imports (workerSources) go into /app. */
const WORKER_ENTRIES = ['sandbox/docker/worker/main.ts'];

/** relative specifiers of the value imports (static and dynamic) of one of OUR source files */
export function relativeImports(source: string): string[] {
  const found: string[] = [];
  const staticImport = /^\s*(?:import|export)\s+(?!type\b)[^'";]*?\bfrom\s+'(\.{1,2}\/[^']+\.ts)'/gm;
  const bareImport = /^\s*import\s+'(\.{1,2}\/[^']+\.ts)'/gm;
  const dynamicImport = /\bimport\(\s*'(\.{1,2}\/[^']+\.ts)'\s*\)/g;
  for (const pattern of [staticImport, bareImport, dynamicImport]) for (const m of source.matchAll(pattern)) found.push(m[1]!);
  return found;
}

/**
 * The worker runtime's files: the entry and the closure of its relative value imports (type-only
 * imports are erased by Node and need no file), repo-relative and sorted. Computed, not listed,
 * so a module the worker starts importing is in the image without anyone remembering to add it.
 */
export function workerSources(root: string = REPO_ROOT): string[] {
  const seen = new Set<string>();
  const todo = [...WORKER_ENTRIES];
  while (todo.length > 0) {
    const rel = todo.pop()!;
    if (seen.has(rel)) continue;
    seen.add(rel);
    for (const spec of relativeImports(readFileSync(path.join(root, rel), 'utf8'))) {
      const next = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec));
      if (next.startsWith('../')) throw new Error(`${rel} imports ${spec}, outside the repository`);
      todo.push(next);
    }
  }
  return [...seen].sort();
}

export const DOCKERFILE = [
  'FROM scratch',
  'COPY rootfs/ /',
  'USER 65534:65534',
  'WORKDIR /tmp',
  // a heap limit far above the container's memory: a balloon meets the cgroup OOM killer first;
  // --no-node-snapshot: isolated-vm cannot run in a Node started from the startup snapshot
  `ENTRYPOINT ["${NODE_PATH_IN_IMAGE}", "--max-old-space-size=1024", "--disable-proto=delete", "--no-node-snapshot", "${WORKER_ENTRY}"]`,
  '',
].join('\n');

export interface ContextFile {
  readonly name: string; // path inside the build context
  readonly source: string | undefined; // host file to copy, or undefined for inline content
  readonly content: Buffer | undefined;
  readonly mode: number;
}

/** Parses `ldd` output into the absolute library paths it names (vdso excluded). */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = /=>\s+(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    const direct = /^\s*(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    const found = arrow?.[1] ?? direct?.[1];
    if (found !== undefined && !libs.includes(found)) libs.push(found);
  }
  return libs;
}

export function resolveNodeBinary(): string {
  return realpathSync(path.join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node'));
}

/** isolated-vm's native addon as node-gyp-build resolves it for this Node (ABI, libc) */
export function resolveIvmAddon(): string {
  const dir = path.join(REPO_ROOT, 'node_modules', 'isolated-vm');
  const gypBuild = require('node-gyp-build') as { path(dir: string): string };
  return realpathSync(gypBuild.path(dir));
}

export function contextFiles(nodeBinary: string = resolveNodeBinary(), ivmAddon: string = resolveIvmAddon()): ContextFile[] {
  const libs = parseLdd(execFileSync('ldd', [nodeBinary], { encoding: 'utf8' }));
  if (libs.length === 0) throw new Error('ldd named no libraries for the node binary');
  for (const lib of parseLdd(execFileSync('ldd', [ivmAddon], { encoding: 'utf8' }))) if (!libs.includes(lib)) libs.push(lib);
  const files: ContextFile[] = [
    { name: 'Dockerfile', source: undefined, content: Buffer.from(DOCKERFILE), mode: 0o644 },
    { name: 'rootfs/app/package.json', source: undefined, content: Buffer.from('{"type":"module"}\n'), mode: 0o444 },
    { name: `rootfs${NODE_PATH_IN_IMAGE}`, source: nodeBinary, content: undefined, mode: 0o555 },
    // read-only, not executable: dlopen maps it from the (exec-able, read-only) root filesystem
    { name: `rootfs${IVM_ADDON_PATH_IN_IMAGE}`, source: ivmAddon, content: undefined, mode: 0o444 },
    { name: 'rootfs/app/node_modules/isolated-vm/package.json', source: undefined, content: Buffer.from(IVM_PACKAGE_JSON), mode: 0o444 },
    { name: 'rootfs/app/node_modules/isolated-vm/isolated-vm.cjs', source: undefined, content: Buffer.from(IVM_ENTRY), mode: 0o444 },
    { name: 'rootfs/app/node_modules/ses/package.json', source: undefined, content: Buffer.from(SES_PACKAGE_JSON), mode: 0o444 },
    { name: 'rootfs/app/node_modules/ses/dist/lockdown.umd.min.js', source: resolveSesLockdown(), content: undefined, mode: 0o444 },
  ];
  for (const lib of libs) files.push({ name: `rootfs${lib}`, source: realpathSync(lib), content: undefined, mode: 0o555 });
  for (const rel of workerSources()) {
    const js = workerJs(readFileSync(path.join(REPO_ROOT, rel), 'utf8'));
    files.push({ name: `rootfs/app/${jsName(rel)}`, source: undefined, content: Buffer.from(js), mode: 0o444 });
  }
  return files;
}

/** Content hash over every file's name, mode and bytes: the image tag. */
export function contextHash(files: readonly ContextFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
    const bytes = file.content ?? readFileSync(file.source ?? '');
    hash.update(`${file.name}\0${file.mode}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

export function imageTag(files: readonly ContextFile[] = contextFiles()): string {
  return `${IMAGE_REPO}:${contextHash(files).slice(0, 12)}`;
}

interface TarPack {
  entry(header: { name: string; size?: number; mode: number; type?: string; uid: number; gid: number; mtime: Date }, body?: Buffer): void;
  finalize(): void;
  pipe<T extends NodeJS.WritableStream>(dest: T): T;
}
const require = createRequire(import.meta.url);
const tarStream = require('tar-stream') as { pack(): TarPack & NodeJS.ReadableStream };

function buildContext(files: readonly ContextFile[]): NodeJS.ReadableStream {
  const pack = tarStream.pack();
  const dirs = new Set<string>(['rootfs/tmp']);
  const epoch = new Date(0);
  for (const file of files) {
    for (let dir = path.posix.dirname(file.name); dir !== '.' && dir !== 'rootfs'; dir = path.posix.dirname(dir)) dirs.add(dir);
  }
  for (const dir of [...dirs].sort()) {
    const mode = dir === 'rootfs/tmp' ? 0o1777 : 0o755;
    pack.entry({ name: `${dir}/`, type: 'directory', mode, uid: 0, gid: 0, mtime: epoch });
  }
  for (const file of files) {
    const body = file.content ?? readFileSync(file.source ?? '');
    pack.entry({ name: file.name, size: body.length, mode: file.mode, uid: 0, gid: 0, mtime: epoch }, body);
  }
  pack.finalize();
  return pack;
}

export type EnsureImageResult = { ok: true; tag: string; built: boolean } | { ok: false; code: 'SBX_ERR_UNAVAILABLE'; reason: string };

/**
 * Builds the worker image unless an image with the current content tag already exists. `log`
 * gets one line when a build starts, one per build step (progress) and one when it ends.
 */
export async function ensureWorkerImage(docker: Docker, force = false, log: (line: string) => void = () => undefined): Promise<EnsureImageResult> {
  let files: ContextFile[];
  let tag: string;
  try {
    files = contextFiles();
    tag = imageTag(files);
  } catch (error) {
    return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: `cannot assemble image context: ${String(error)}` };
  }
  if (!force) {
    try {
      await docker.getImage(tag).inspect();
      return { ok: true, tag, built: false };
    } catch {
      /* missing: build it */
    }
  }
  const began = Date.now();
  log(`building the docker worker image ${tag} (first start or changed worker; usually 5-15 s)`);
  try {
    const stream = await docker.buildImage(buildContext(files), { t: tag, labels: { 'palisade.worker-image': '1' }, rm: true, forcerm: true });
    const errors: string[] = [];
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()), (event: { error?: string; stream?: string }) => {
        if (typeof event.error === 'string') errors.push(event.error.slice(0, 500));
        const step = typeof event.stream === 'string' ? /^Step \d+\/\d+ : .{0,120}/.exec(event.stream.trim()) : null;
        if (step !== null) log(`docker worker image: ${step[0]}`);
      });
    });
    if (errors.length > 0) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: `image build failed: ${errors.join('; ')}` };
    await docker.getImage(tag).inspect();
    log(`docker worker image ${tag} built in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return { ok: true, tag, built: true };
  } catch (error) {
    return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: `image build failed: ${String(error).slice(0, 500)}` };
  }
}
