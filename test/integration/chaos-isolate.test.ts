/**
 * Issue 22 chaos test on the real isolate backend: one agent's worker-killing jobs must not make
 * the sandbox refuse another agent. For ~20 s (CHAOS_SECONDS) the crasher sends timeouts, memory
 * bombs and recursion on two loops while the polite agent sends `return 1`: the polite agent
 * sees no 5xx and every call completes ok; the crasher is throttled (429 GW_ERR_SANDBOX_THROTTLED
 * + Retry-After) after the threshold; the trip is audited and alerted.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { auditHas, CRASH_LOOPS, percentile, runChaos, type ChaosRun } from './chaos-load.ts';

const SECONDS = Number(process.env['CHAOS_SECONDS'] ?? 20);
const FAULTS = new Set(['SBX_ERR_TIMEOUT', 'SBX_ERR_MEMORY_LIMIT', 'SBX_ERR_WORKER_CRASHED']);

describe('isolate backend under crash load from another agent', { timeout: 120_000 }, () => {
  let run: ChaosRun | undefined;
  after(() => run?.gw.stop(true));

  test(`for ${SECONDS} s the polite agent gets only 200 ok while the crasher is throttled`, async () => {
    run = await runChaos({ PALISADE_SANDBOX_BACKEND: 'isolate' }, SECONDS);
    const { polite, crasher } = run;
    const bad = polite.filter((a) => a.status !== 200 || a.code !== 'ok');
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${polite.length} polite calls failed`);
    assert.ok(polite.length >= 50, `the polite agent kept being served (${polite.length} calls)`);
    const faults = crasher.filter((a) => a.status === 200 && FAULTS.has(a.code ?? ''));
    const throttled = crasher.filter((a) => a.status === 429);
    assert.ok(faults.length >= 5, `the crasher's jobs ran and faulted (${faults.length})`);
    assert.ok(throttled.length >= 1, `the crasher was throttled: ${JSON.stringify(crasher.map((a) => a.code))}`);
    assert.ok(throttled.every((a) => a.code === 'GW_ERR_SANDBOX_THROTTLED' && Number(a.retryAfter) >= 1), JSON.stringify(throttled[0]));
    const firstThrottle = crasher.findIndex((a) => a.status === 429);
    // the gateway's own count at the trip (audited below) is the proof; seen from the client, the
    // fault that tripped it may still be on its way back on another crasher loop when this one gets the first 429
    assert.ok(crasher.slice(0, firstThrottle).filter((a) => FAULTS.has(a.code ?? '')).length >= 5 - (CRASH_LOOPS - 1), 'throttled only after the threshold (5)');
    const ms = polite.map((a) => a.ms);
    console.log(`polite: ${polite.length} calls in ${SECONDS} s (${(polite.length / SECONDS).toFixed(1)}/s), p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms; crasher: ${faults.length} faults, ${throttled.length} throttled`);
    assert.ok(await auditHas(run, 'sandbox.agent_throttled', (e) => e.data?.['agent_id'] === 'crasher' && Number(e.data?.['faults']) >= 5), 'the trip is audited, after 5 faults');
    assert.ok(await auditHas(run, 'alert.fired', (e) => e.data?.['alert'] === 'sandbox.agent_throttled'), 'an alert fired');
  });
});
