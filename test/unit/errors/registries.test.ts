/**
 * Every layer's error registry is built by the one factory (sandbox/define-errors.ts), codes are
 * unique across all of them and carry their layer's prefix, and no registry below the gateway
 * carries an HTTP status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineErrors } from '../../../sandbox/define-errors.ts';
import { gatewayErrors, GatewayError, PROVIDER_KIND_STATUS } from '../../../agent-gateway/errors.ts';
import { auditErrors, AuditError } from '../../../agent-gateway/audit/errors.ts';
import { sandboxErrors, isSandboxErrorCode } from '../../../sandbox/errors.ts';
import { providerErrors, ProviderError, type ProviderErrorCode } from '../../../providers/errors.ts';
import { egressErrors, EgressError } from '../../../providers/egress/errors.ts';
import { providerProblem } from '../../../agent-gateway/providers-services.ts';

const LAYERS = [
  { registry: gatewayErrors, prefixes: ['GW_ERR_'] },
  { registry: auditErrors, prefixes: ['AUDIT_ERR_'] },
  { registry: sandboxErrors, prefixes: ['SBX_ERR_', 'TOOL_ERR_'] },
  { registry: providerErrors, prefixes: ['PRV_ERR_'] },
  { registry: egressErrors, prefixes: ['EGR_ERR_'] },
] as const;

test('no code is defined by two registries, and each carries its layer prefix', () => {
  const seen = new Map<string, number>();
  for (const [i, { registry, prefixes }] of LAYERS.entries()) {
    assert.ok(registry.codes.length > 0);
    for (const code of registry.codes) {
      assert.ok(prefixes.some((p) => code.startsWith(p)), `${code} lacks ${prefixes.join('/')}`);
      assert.equal(seen.get(code), undefined, `${code} is defined by two registries`);
      seen.set(code, i);
    }
  }
  // the known former overlap is gone: an egress refusal has one code, owned by the egress layer
  assert.equal(seen.has('PRV_ERR_EGRESS_DENIED'), false);
  assert.equal(seen.get('EGR_ERR_DENIED'), 4);
});

test('below the gateway no registry carries an HTTP status; the gateway maps provider kinds', () => {
  for (const { registry } of LAYERS.slice(1)) {
    for (const code of registry.codes) {
      assert.equal(Object.hasOwn(registry.definitions[code as keyof typeof registry.definitions], 'status'), false, code);
    }
  }
  for (const code of gatewayErrors.codes) assert.equal(typeof gatewayErrors.definitions[code].status, 'number', code);
  for (const code of providerErrors.codes) {
    assert.equal(typeof PROVIDER_KIND_STATUS[providerErrors.definitions[code].kind], 'number', code);
  }
});

test('the statuses a provider failure is answered with are the ones the contract had', () => {
  // the statuses providers/errors.ts carried before the kinds replaced them (GW_ERR_PROVIDER answers)
  const before: Partial<Record<ProviderErrorCode, number>> = {
    PRV_ERR_REDIRECT_REFUSED: 502, PRV_ERR_UPSTREAM_AUTH: 502, PRV_ERR_UPSTREAM_RATE_LIMITED: 429,
    PRV_ERR_UPSTREAM_CLIENT: 502, PRV_ERR_UPSTREAM_SERVER: 502, PRV_ERR_UPSTREAM_NETWORK: 502,
    PRV_ERR_UPSTREAM_TIMEOUT: 504, PRV_ERR_RESPONSE_TOO_LARGE: 502, PRV_ERR_BAD_RESPONSE: 502,
    PRV_ERR_ABORTED: 499, PRV_ERR_FAILOVER_EXHAUSTED: 502, PRV_ERR_CONFIG: 500,
  };
  for (const [code, status] of Object.entries(before) as [ProviderErrorCode, number][]) {
    const p = providerProblem(new ProviderError(code));
    assert.deepEqual([p.code, p.status, p.detail], ['GW_ERR_PROVIDER', status, providerErrors.message(code)], code);
  }
  const mapped: [ProviderErrorCode, string, number][] = [
    ['PRV_ERR_KEY_MISSING', 'GW_ERR_PROVIDER_KEY', 503], ['PRV_ERR_KEY_EXPIRED', 'GW_ERR_PROVIDER_KEY', 503],
    ['PRV_ERR_PROVIDER_DISABLED', 'GW_ERR_PROVIDER_DISABLED', 503], ['PRV_ERR_BAD_REQUEST', 'GW_ERR_VALIDATION', 422],
    ['PRV_ERR_KEY_INVALID', 'GW_ERR_VALIDATION', 422], ['PRV_ERR_UNKNOWN_PROVIDER', 'GW_ERR_NOT_FOUND', 404],
  ];
  for (const [code, gw, status] of mapped) {
    const p = providerProblem(new ProviderError(code));
    assert.deepEqual([p.code, p.status], [gw, status], code);
    // the kind map agrees with the status the mapped gateway code answers with
    assert.equal(PROVIDER_KIND_STATUS[providerErrors.definitions[code].kind], status, code);
  }
  const denied = providerProblem(new EgressError('EGR_ERR_DENIED'));
  assert.deepEqual([denied.code, denied.status, denied.detail], ['GW_ERR_EGRESS_DENIED', 502, egressErrors.message('EGR_ERR_DENIED')]);
});

test('every registry gives the same helpers: guard, message, error class with the code', () => {
  for (const { registry } of LAYERS) {
    const code = registry.codes[0]!;
    assert.equal(registry.isCode(code), true);
    assert.equal(registry.isCode('NOPE_ERR_X'), false);
    assert.equal(registry.isCode('toString'), false, 'inherited names are not codes');
    assert.equal(registry.isCode(42), false);
    const e = new registry.Error(code as never);
    assert.ok(e instanceof Error);
    assert.equal(e.code, code);
    assert.equal(e.message, registry.message(code as never));
  }
  assert.equal(isSandboxErrorCode('SBX_ERR_TIMEOUT'), true);
  // layer classes keep their names, messages and extra fields
  const g = new GatewayError('GW_ERR_NOT_FOUND');
  assert.deepEqual([g.name, g.message, g.status, g.detail], ['GatewayError', 'Not found', 404, undefined]);
  assert.equal(new GatewayError('GW_ERR_NOT_FOUND', 'no such user').message, 'no such user');
  const a = new AuditError('AUDIT_ERR_TAMPERED', 'seq 4');
  assert.deepEqual([a.name, a.code, a.message], ['AuditError', 'AUDIT_ERR_TAMPERED', 'The audit log failed verification. seq 4']);
  const p = new ProviderError('PRV_ERR_UPSTREAM_TIMEOUT', 'after 30 s', 504);
  assert.deepEqual([p.name, p.kind, p.message, p.logSummary, p.upstreamStatus], ['ProviderError', 'timeout', 'Upstream provider timed out', 'after 30 s', 504]);
  assert.ok(p instanceof providerErrors.Error && !(p instanceof egressErrors.Error));
  const eg = new EgressError('EGR_ERR_DNS', 'no address');
  assert.deepEqual([eg.name, eg.message, eg.logSummary], ['EgressError', 'The destination name could not be resolved', 'no address']);
});

test('the factory refuses a code without its prefix and a code without a message', () => {
  assert.throws(() => defineErrors('X', ['X_ERR_'], { Y_ERR_A: { message: 'a' } }), /Y_ERR_A does not start with X_ERR_/);
  assert.throws(() => defineErrors('X', ['X_ERR_'], { 'X_ERR_a b': { message: 'a' } }), /does not start/);
  assert.throws(() => defineErrors('X', ['X_ERR_'], { X_ERR_A: { message: '' } }), /has no message/);
  const r = defineErrors('X', ['X_ERR_'], { X_ERR_A: { message: 'a', retry: true } });
  assert.equal(r.definitions.X_ERR_A.retry, true);
  assert.deepEqual(r.codes, ['X_ERR_A']);
});
