/**
 * The worker image as the engine stores it (`docker save`): FROM scratch with node, the
 * libraries ldd names, and the worker sources. No shell, no package manager, no other binary.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import Docker from 'dockerode';
import { ensureWorkerImage, resolveNodeBinary } from '../../sandbox/docker/image.ts';
import { dockerSkipReason } from '../support/docker-env.ts';

const skip = await dockerSkipReason();

interface Extract extends NodeJS.WritableStream {
  on(event: 'entry', listener: (header: { name: string; type: string; mode: number }, stream: NodeJS.ReadableStream, next: () => void) => void): this;
  on(event: 'finish' | 'error', listener: (error?: Error) => void): this;
}
const tarStream = createRequire(import.meta.url)('tar-stream') as { extract(): Extract };

/** reads a tar stream into name → {type, mode, bytes} (bytes kept only when `keep` says so) */
function readTar(input: NodeJS.ReadableStream, keep: (name: string) => boolean): Promise<Map<string, { type: string; mode: number; bytes: Buffer }>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, { type: string; mode: number; bytes: Buffer }>();
    const extract = tarStream.extract();
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        if (keep(header.name)) chunks.push(c);
      });
      stream.on('end', () => {
        out.set(header.name, { type: header.type, mode: header.mode, bytes: Buffer.concat(chunks) });
        next();
      });
      stream.resume();
    });
    extract.on('finish', () => resolve(out));
    extract.on('error', (error) => reject(error ?? new Error('tar error')));
    input.pipe(extract);
  });
}

describe('worker image contents', { skip, timeout: 300_000 }, () => {
  test('holds only node, its shared libraries and the worker runtime; no shell or package manager', async () => {
    const docker = new Docker();
    const built = await ensureWorkerImage(docker);
    assert.ok(built.ok, JSON.stringify(built));
    assert.match(built.tag, /^palisade-worker:[0-9a-f]{12}$/);
    const saved = await readTar(await docker.getImage(built.tag).get(), (name) => name.endsWith('.json') || name.endsWith('.tar'));
    const manifest = JSON.parse(saved.get('manifest.json')?.bytes.toString('utf8') ?? '[]') as { Layers: string[] }[];
    const layers = manifest[0]?.Layers ?? [];
    assert.equal(layers.length, 1, 'one layer on top of scratch');
    const { Readable } = await import('node:stream');
    const files = await readTar(Readable.from(saved.get(layers[0] ?? '')?.bytes ?? Buffer.alloc(0)), () => false);
    const regular = [...files].filter(([, f]) => f.type === 'file').map(([name]) => name).sort();
    const executables = [...files].filter(([, f]) => f.type === 'file' && (f.mode & 0o111) !== 0).map(([name]) => name);
    for (const name of regular) {
      assert.ok(name === 'usr/local/bin/node' || name.startsWith('app/') || /^(lib|lib64|usr\/lib)\/.*\.so(\.[0-9]+)*$/.test(name), `unexpected file ${name}`);
    }
    for (const shell of ['bin/sh', 'bin/bash', 'bin/busybox', 'usr/bin/apt', 'usr/bin/dpkg', 'usr/bin/env']) assert.ok(!files.has(shell), shell);
    for (const exe of executables) assert.ok(exe === 'usr/local/bin/node' || /\.so(\.[0-9]+)*$/.test(exe), `unexpected executable ${exe}`);
    assert.ok(regular.includes('lib64/ld-linux-x86-64.so.2'));
    assert.ok(regular.includes('app/sandbox/docker/worker/main.js'), 'the worker entry, as JavaScript');
    assert.ok(!regular.some((n) => n.startsWith('app/') && n.endsWith('.ts')), 'no TypeScript in the image: types are stripped at build');
    const nodeSize = (await import('node:fs')).statSync(resolveNodeBinary()).size;
    assert.ok(files.has('usr/local/bin/node') && nodeSize > 0);
  });
});
