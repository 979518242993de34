// Mutation testing of the security core: `npm run mutate` (all modules below, slow), or one
// module at a time with only the tests that cover it:
//   STRYKER_TEST_FILES=test/unit/providers/egress-policy.test.ts npm run mutate -- --mutate providers/egress/ip.ts
//
// Run it through `npm run` (or with node_modules/.bin first on PATH): Stryker needs Node >= 22
// and refuses the system node 20. The TAP runner spawns `node` from PATH for every test file; `npm run` puts
// node_modules/.bin first, so that is the pinned Node 24 (the `node` dependency), which runs
// the .ts test files natively (type stripping). Each unit test file is run as
// `node --test-reporter=tap -r <stryker hook> <file>`; with perTest coverage a mutant only
// re-runs the test files that reach it. Not run in CI (time); scores are in SECURITY.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  tap: {
    testFiles: process.env['STRYKER_TEST_FILES']?.split(',') ?? [
      'test/unit/policy/*.test.ts',
      'test/unit/approvals/*.test.ts',
      'test/unit/auth/*.test.ts',
      'test/unit/http/*.test.ts',
      'test/unit/audit/verify*.test.ts',
      'test/unit/privacy/*.test.ts',
      'test/unit/providers/egress-*.test.ts',
      'test/unit/tools/*.test.ts',
      'test/unit/sandbox/seccomp-profile.test.ts',
      'test/unit/sandbox/docker-container-spec.test.ts',
      'test/security/ssrf.test.ts',
      'test/security/ssrf-dns.test.ts',
    ],
    nodeArgs: ['--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  mutate: [
    // auth: token shapes, principal resolution, login throttle, passwords, delegation
    'agent-gateway/auth/tokens.ts',
    'agent-gateway/auth/principal.ts',
    'agent-gateway/auth/throttle.ts',
    'agent-gateway/auth/password.ts',
    'agent-gateway/auth/delegation.ts',
    // http checks: Host (DNS rebinding), CORS, JSON bodies, body validation, the 401/403 adapter
    'agent-gateway/http/host-check.ts',
    'agent-gateway/http/cors.ts',
    'agent-gateway/http/body.ts',
    'agent-gateway/http/validate-body.ts',
    'agent-gateway/http/auth.ts',
    // policy: decisions, limits, kill switch, breaker, safe regex, validation
    'agent-gateway/policy/evaluate.ts',
    'agent-gateway/policy/gate.ts',
    'agent-gateway/policy/rate-limit.ts',
    'agent-gateway/policy/circuit-breaker.ts',
    'agent-gateway/policy/validate.ts',
    'agent-gateway/policy/safe-regex.ts',
    'agent-gateway/policy/glob.ts',
    // tools admission: the one admission function and argument sanitizing
    'agent-gateway/tools/admission.ts',
    'agent-gateway/tools/sanitize.ts',
    // approvals: who may decide, state machine, the call digest
    'agent-gateway/approvals/principal.ts',
    'agent-gateway/approvals/state.ts',
    'agent-gateway/approvals/canonical.ts',
    // audit: the verifier
    'agent-gateway/audit/verify.ts',
    // privacy: redaction and per-origin rules
    'agent-gateway/privacy/redaction.ts',
    'agent-gateway/privacy/rules.ts',
    'agent-gateway/privacy/masks.ts',
    'agent-gateway/privacy/ingest.ts',
    'agent-gateway/privacy/html-forms.ts',
    // egress: origin allowlist, address classes, the pinning connector
    'providers/egress/policy.ts',
    'providers/egress/ip.ts',
    'providers/egress/connector.ts',
    // sandbox limits and the container restrictions
    'sandbox/limits.ts',
    'sandbox/docker/container-config.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 30_000,
  timeoutFactor: 2,
  disableTypeChecks: false,
  // Stryker rewrites tsconfig.json in its sandbox through the `typescript` JS API, which
  // TypeScript 7 (native) no longer has; the tests need no tsconfig (Node strips the types),
  // so point the option at a file that does not exist and the rewrite is skipped.
  tsconfigFile: 'stryker-has-no-tsconfig.json',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  thresholds: { high: 90, low: 85, break: null },
};
