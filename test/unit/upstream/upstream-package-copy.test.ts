/**
 * An upstream server's package closure as one verified directory (agent-gateway/upstream/package-copy.ts):
 * exactly the closure's files at their host paths below the copy's root, named by the content
 * hash, reused only while it still hashes to that name, replaced when it was changed, refused
 * when the source holds what a copy cannot carry; symlinks are copied as links, never followed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copyManifest, manifestDigest, packageCopy, PACKAGE_COPIES_DIR, sourceManifest, sweepPackageCopies } from '../../../agent-gateway/upstream/package-copy.ts';
import { inContainer, resolvePackage } from '../../../agent-gateway/upstream/package-closure.ts';
import { GATEWAY_NODE_MODULES } from '../../../agent-gateway/upstream/open.ts';

function fixtureClosure(): { root: string; dirs: string[]; data: string } {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'palisade-pkgcopy-')));
  const nm = path.join(root, 'node_modules');
  const a = path.join(nm, 'a');
  const b = path.join(nm, '@s', 'b');
  mkdirSync(path.join(a, 'lib'), { recursive: true });
  mkdirSync(b, { recursive: true });
  writeFileSync(path.join(a, 'package.json'), '{"name":"a"}');
  writeFileSync(path.join(a, 'lib', 'index.js'), 'module.exports = 1;\n');
  writeFileSync(path.join(a, 'cli.js'), '#!/usr/bin/env node\n');
  chmodSync(path.join(a, 'cli.js'), 0o4755); // setuid on the source: never carried over
  writeFileSync(path.join(b, 'package.json'), '{"name":"@s/b"}');
  symlinkSync('/etc/hostname', path.join(b, 'link-out'));
  writeFileSync(path.join(nm, 'not-in-closure.js'), 'secret');
  const data = path.join(root, 'data');
  mkdirSync(data);
  return { root, dirs: [a, b], data };
}

test('the copy holds exactly the closure at its host paths, named by its content hash; modes normalised; a symlink stays a link', async () => {
  const f = fixtureClosure();
  const made = await packageCopy(f.data, f);
  assert.ok(made.ok, made.ok ? '' : made.reason);
  const { dir, digest } = made.copy;
  assert.equal(made.copy.made, true);
  assert.equal(path.dirname(dir), path.join(f.data, PACKAGE_COPIES_DIR));
  assert.equal(path.basename(dir), digest);
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.equal(manifestDigest(await copyManifest(dir)), manifestDigest(await sourceManifest(f)));
  const inCopy = (p: string): string => path.join(dir, path.relative('/', p));
  assert.equal(readFileSync(inCopy(path.join(f.dirs[0]!, 'lib', 'index.js')), 'utf8'), 'module.exports = 1;\n');
  assert.equal(statSync(inCopy(path.join(f.dirs[0]!, 'cli.js'))).mode & 0o7777, 0o755, 'executable kept, setuid dropped');
  assert.equal(statSync(inCopy(path.join(f.dirs[0]!, 'package.json'))).mode & 0o7777, 0o644);
  const link = inCopy(path.join(f.dirs[1]!, 'link-out'));
  assert.ok(lstatSync(link).isSymbolicLink(), 'a link, not the file it points at');
  assert.equal(readlinkSync(link), '/etc/hostname');
  assert.equal(existsSync(inCopy(path.join(f.root, 'node_modules', 'not-in-closure.js'))), false, 'nothing outside the closure');
});

test('a verified copy is reused; a changed, added or removed file in the copy makes a fresh one; a changed source gets a new name', async () => {
  const f = fixtureClosure();
  const first = await packageCopy(f.data, f);
  assert.ok(first.ok);
  const again = await packageCopy(f.data, f);
  assert.ok(again.ok);
  assert.deepEqual([again.copy.dir, again.copy.made], [first.copy.dir, false]);
  const index = path.join(first.copy.dir, path.relative('/', f.dirs[0]!), 'lib', 'index.js');
  for (const tamper of [
    () => writeFileSync(index, 'process.exit(7);\n'),
    () => writeFileSync(path.join(first.copy.dir, path.relative('/', f.dirs[0]!), 'evil.js'), ''),
    () => rmSync(index),
  ]) {
    tamper();
    const fixed = await packageCopy(f.data, f);
    assert.ok(fixed.ok);
    assert.deepEqual([fixed.copy.dir, fixed.copy.made], [first.copy.dir, true], 'replaced, same name');
    assert.equal(readFileSync(index, 'utf8'), 'module.exports = 1;\n');
  }
  writeFileSync(path.join(f.dirs[0]!, 'lib', 'index.js'), 'module.exports = 2;\n');
  const changed = await packageCopy(f.data, f);
  assert.ok(changed.ok);
  assert.notEqual(changed.copy.digest, first.copy.digest);
});

test('a source with a FIFO in it is refused with the package error code', async () => {
  const f = fixtureClosure();
  execFileSync('mkfifo', [path.join(f.dirs[0]!, 'pipe')]);
  const r = await packageCopy(f.data, f);
  assert.equal(r.ok ? '' : r.code, 'GW_ERR_UPSTREAM_PACKAGE');
  assert.match(r.ok ? '' : r.reason, /neither a file, a directory nor a symlink/);
});

test('the real server-filesystem closure: one copy, and its entry file is where the container path says', async () => {
  const r = resolvePackage([GATEWAY_NODE_MODULES], '@modelcontextprotocol/server-filesystem', '2026.8.31');
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const data = mkdtempSync(path.join(tmpdir(), 'palisade-pkgcopy-fs-'));
  try {
    const copy = await packageCopy(data, r.closure);
    assert.ok(copy.ok, copy.ok ? '' : copy.reason);
    const entryInContainer = inContainer(r.closure.entry);
    assert.ok(entryInContainer.startsWith('/srv/'));
    assert.equal(readFileSync(path.join(copy.copy.dir, entryInContainer.slice('/srv/'.length)), 'utf8'), readFileSync(r.closure.entry, 'utf8'));
  } finally {
    rmSync(data, { recursive: true, force: true }); // 38 MB on disk
  }
});

test('the sweep removes copies this process did not hand out and crash leftovers, never a copy in use; copies and sweeps run one at a time', async () => {
  const f = fixtureClosure();
  const base = path.join(f.data, PACKAGE_COPIES_DIR);
  // what an earlier run left: an old version's copy and a half-made copy of a crashed start
  mkdirSync(path.join(base, 'a'.repeat(64), 'usr'), { recursive: true });
  writeFileSync(path.join(base, 'a'.repeat(64), 'usr', 'old.js'), 'old');
  mkdirSync(path.join(base, '.tmp-1-abcdef'), { recursive: true });
  // a copy and a sweep started together: the sweep waits for the copy, so the copy survives
  const [used, removed] = await Promise.all([packageCopy(f.data, f), sweepPackageCopies(f.data)]);
  assert.ok(used.ok, used.ok ? '' : used.reason);
  assert.deepEqual([...removed].sort(), ['.tmp-1-abcdef', 'a'.repeat(64)]);
  assert.ok(existsSync(used.copy.dir), 'the copy handed out is kept');
  assert.deepEqual(await sweepPackageCopies(f.data), [], 'nothing else to remove');
  const again = await packageCopy(f.data, f);
  assert.ok(again.ok && again.copy.made === false && again.copy.dir === used.copy.dir);
  rmSync(f.root, { recursive: true, force: true });
});
