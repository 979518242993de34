/**
 * Limits from one source (issue 17 item 3): PALISADE_CALL_TIMEOUT_MS and PALISADE_ISOLATE_MEMORY_MB
 * reach the sandbox through config.limits → dispatch. Each case runs the same js.eval through a
 * real gateway twice: with the variable set it is stopped, with the default it completes — so
 * the variable, not the code, decides.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway } from '../support/gateway.ts';

const ONE_SECOND_BUSY = 'const end = Date.now() + 1000; while (Date.now() < end) {} return "done"';
// 32 arrays of 128 Ki doubles: about 32 MiB on the isolate heap
const ALLOC_32_MIB = 'const a = []; for (let i = 0; i < 32; i++) a.push(new Array(128 * 1024).fill(i + 0.5)); return a.length';

async function evalWith(env: Record<string, string>, code: string): Promise<{ status: number; body: any }> {
  const gw = await startGateway({ env });
  try {
    const admin = (await loginAdmin(gw.url)).token;
    const agent = await createAgent(gw.url, admin, 'limits-agent', ['js.eval']);
    const policy = await call(gw.url, 'PUT', '/admin/policy', {
      token: admin, body: { rules: [{ id: 'eval-ok', effect: 'allow', agents: ['limits-agent'], tools: ['js.eval'] }] },
    });
    assert.equal(policy.status, 200);
    const res = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code } } });
    return { status: res.status, body: res.body };
  } finally {
    await gw.stop(true);
  }
}

describe('config.limits reach the sandbox', () => {
  test('PALISADE_CALL_TIMEOUT_MS=200 times out a 1 s js.eval (which completes under the default)', async () => {
    const started = Date.now();
    const limited = await evalWith({ PALISADE_CALL_TIMEOUT_MS: '200' }, ONE_SECOND_BUSY);
    assert.equal(limited.status, 200, JSON.stringify(limited.body));
    assert.equal(limited.body.status, 'error', JSON.stringify(limited.body));
    assert.equal(limited.body.error.code, 'SBX_ERR_TIMEOUT');
    assert.ok(Date.now() - started < 30_000);
    const normal = await evalWith({}, ONE_SECOND_BUSY);
    assert.deepEqual([normal.body.status, normal.body.result], ['ok', 'done'], JSON.stringify(normal.body));
  });

  test('PALISADE_ISOLATE_MEMORY_MB=16 stops a 32 MiB allocation (which completes under the default 64)', async () => {
    const limited = await evalWith({ PALISADE_ISOLATE_MEMORY_MB: '16' }, ALLOC_32_MIB);
    assert.equal(limited.body.status, 'error', JSON.stringify(limited.body));
    assert.equal(limited.body.error.code, 'SBX_ERR_MEMORY_LIMIT');
    const normal = await evalWith({}, ALLOC_32_MIB);
    assert.deepEqual([normal.body.status, normal.body.result], ['ok', 32], JSON.stringify(normal.body));
  });
});
