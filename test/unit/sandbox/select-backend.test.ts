import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend, type SandboxMode, type ToolBackendPreference } from '../../../sandbox/select-backend.ts';

type Expect = 'isolate' | 'docker' | 'refuse';
const MODES: readonly SandboxMode[] = ['isolate', 'docker', 'auto'];
const BOOLS = [true, false] as const;

/** The rules, written as a table of expectations per tool preference. */
function expected(tool: ToolBackendPreference, mode: SandboxMode, docker: boolean, isolate: boolean): Expect {
  const iso: Expect = isolate ? 'isolate' : 'refuse';
  switch (tool) {
    case 'docker':
      return mode !== 'isolate' && docker ? 'docker' : 'refuse';
    case 'prefer-docker':
      return mode !== 'isolate' && docker ? 'docker' : iso;
    case 'any':
      if (mode === 'docker') return docker ? 'docker' : 'refuse';
      return iso;
    case 'isolate':
      return iso;
  }
}

for (const tool of ['any', 'isolate', 'docker', 'prefer-docker'] as const) {
  for (const mode of MODES) {
    for (const docker of BOOLS) {
      for (const isolate of BOOLS) {
        const want = expected(tool, mode, docker, isolate);
        test(`tool=${tool} mode=${mode} docker=${docker ? 'up' : 'down'} isolate=${isolate ? 'up' : 'down'} → ${want}`, () => {
          const got = selectBackend(tool, mode, docker, isolate);
          if (want === 'refuse') {
            assert.equal(got.ok, false);
            if (!got.ok) {
              assert.equal(got.code, 'SBX_ERR_UNAVAILABLE');
              assert.ok(got.reason.length > 0);
            }
          } else {
            assert.deepEqual(got, { ok: true, backend: want });
          }
        });
      }
    }
  }
}

test('a docker-only tool is never sent to the isolate, whatever the health', () => {
  for (const mode of MODES) {
    for (const docker of BOOLS) {
      for (const isolate of BOOLS) {
        const got = selectBackend('docker', mode, docker, isolate);
        assert.ok(!got.ok || got.backend === 'docker');
      }
    }
  }
});
