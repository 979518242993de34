import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { BUILTIN_ACTIONS_DIR, readToolDir } from '../../../sandbox/actions/load.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-tools-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function tool(dir: string, name: string, manifest: string | Buffer, handler: string | Buffer = 'return 1;'): string {
  const folder = path.join(dir, name);
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'manifest.json'), manifest);
  writeFileSync(path.join(folder, 'handler.js'), handler);
  return folder;
}

type Schema = { type?: unknown; additionalProperties?: unknown; properties?: Record<string, Schema>; maxLength?: unknown; enum?: unknown };

describe('readToolDir', () => {
  it('reads every tool folder, sorted, skipping dot-folders and plain files', (t) => {
    const dir = tempDir(t);
    tool(dir, 'b', '{"name":"b"}');
    tool(dir, 'a', '{"name":"a"}', 'return 2;');
    mkdirSync(path.join(dir, '.hidden'));
    writeFileSync(path.join(dir, 'README.md'), 'x');
    assert.deepEqual(readToolDir(dir), [
      { dir: path.join(dir, 'a'), manifest: { name: 'a' }, handler: 'return 2;' },
      { dir: path.join(dir, 'b'), manifest: { name: 'b' }, handler: 'return 1;' },
    ]);
  });

  it('names the file when a manifest is not JSON, too large, or missing', (t) => {
    const dir = tempDir(t);
    const folder = tool(dir, 'x', '{not json');
    assert.throws(() => readToolDir(dir), (e: Error) => e.message.includes(path.join(folder, 'manifest.json')) && /not valid JSON/.test(e.message));
    const big = tempDir(t);
    tool(big, 'y', `{"pad":"${'p'.repeat(64 * 1024)}"}`);
    assert.throws(() => readToolDir(big), /manifest\.json is larger than 65536 bytes/);
    const missing = tempDir(t);
    mkdirSync(path.join(missing, 'z'));
    assert.throws(() => readToolDir(missing), /cannot read .*z\/manifest\.json: ENOENT/);
  });

  it('refuses an oversized or non-UTF-8 handler and a symlinked file', (t) => {
    const big = tempDir(t);
    tool(big, 'h', '{}', 'x'.repeat(256 * 1024 + 1));
    assert.throws(() => readToolDir(big), /handler\.js is larger than 262144 bytes/);
    const binary = tempDir(t);
    tool(binary, 'h', '{}', Buffer.from([0xff, 0xfe, 0x00]));
    assert.throws(() => readToolDir(binary), /handler\.js is not valid UTF-8/);
    const linked = tempDir(t);
    const folder = path.join(linked, 'l');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'manifest.json'), '{}');
    symlinkSync('/etc/hostname', path.join(folder, 'handler.js'));
    assert.throws(() => readToolDir(linked), /handler\.js is not a regular file/);
  });

  it('reports a missing tools directory clearly', () => {
    assert.throws(() => readToolDir('/nonexistent/palisade-tools'), /cannot read tools directory \/nonexistent\/palisade-tools: ENOENT/);
  });
});

describe('built-in action manifests', () => {
  const tools = readToolDir(BUILTIN_ACTIONS_DIR);
  const manifests = tools.map((t) => t.manifest as Record<string, unknown>);

  it('ship the six built-in actions, each in the folder of its name', () => {
    assert.deepEqual(manifests.map((m) => m['name']), ['echo', 'hash.digest', 'js.eval', 'json.query', 'regex.test', 'text.transform']);
    for (const t of tools) assert.equal(path.basename(t.dir), (t.manifest as { name: string }).name);
  });

  it('have strict input schemas: object, additionalProperties false, every string capped', () => {
    for (const m of manifests) {
      const schema = m['input_schema'] as Schema;
      assert.equal(schema.type, 'object', String(m['name']));
      assert.equal(schema.additionalProperties, false, String(m['name']));
      for (const [key, prop] of Object.entries(schema.properties ?? {})) {
        if (prop.type === 'string') assert.ok(typeof prop.maxLength === 'number' || Array.isArray(prop.enum), `${String(m['name'])}.${key} uncapped`);
      }
    }
  });

  it('use only the fixed manifest keys, and js.eval is high risk, approval-gated, prefer-docker', () => {
    const allowed = ['name', 'description', 'input_schema', 'output_schema', 'risk', 'requires_approval', 'backend', 'trusted', 'timeout_ms', 'memory_mb', 'annotations', 'tags'];
    for (const m of manifests) assert.deepEqual(Object.keys(m).filter((k) => !allowed.includes(k)), [], String(m['name']));
    const jsEval = manifests.find((m) => m['name'] === 'js.eval');
    assert.deepEqual([jsEval?.['risk'], jsEval?.['requires_approval'], jsEval?.['backend']], ['high', true, 'prefer-docker']);
    // js.eval runs the caller's code: never in the shared trusted realm (issue 12)
    assert.notEqual(jsEval?.['trusted'], true);
  });
});
