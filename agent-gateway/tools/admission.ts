/**
 * Admission: the one decision whether a tool call may run, for every caller (REST, MCP,
 * and an admin approving a queued call). In order:
 *   kill switch → circuit breaker → rate limit → body shape → scope → tool name → registry →
 *   (approval: definition hash) → sanitize → ajv args → policy (rules, then the principal's
 *   session state: taint rules and cumulative risk, policy/session.ts).
 * Pure apart from the breaker and rate-limit counters (no I/O, no await): the caller audits
 * the decision and acts on it. Every result names the rule that decided it (`ruleId`, the
 * policy rule's id, or `default` when no rule of the policy decided).
 *
 * An unknown tool name and a name outside the agent's scope are refused alike (403
 * GW_ERR_TOOL_NOT_IN_SCOPE): scope is checked before the registry, so an agent cannot probe
 * which tools exist beyond the ones it may list with GET /tools.
 */
import { isPlainObject, type JsonValue } from '../../sandbox/json.ts';
import { argsSha256 } from '../approvals/canonical.ts';
import { gwError, type GatewayError } from '../errors.ts';
import { gatePolicy, gatePreflight, type GateDeps } from '../policy/gate.ts';
import { EMPTY_SUMMARY, type RiskView, type SessionSummary, type SummaryWindows } from '../policy/session.ts';
import { policyHash } from '../policy/version.ts';
import type { RegisteredTool, ToolRegistry } from './registry.ts';
import { sanitizeArgs } from './sanitize.ts';
import { inScope } from './scope.ts';
import { checkToolName, validateArgs } from './validate.ts';
import { stageSince } from '../metrics/stages.ts';

export type AdmissionStep =
  | 'kill_switch' | 'circuit_breaker' | 'rate_limit' | 'body' | 'scope' | 'tool_name' | 'registry'
  | 'tool_changed' | 'sanitize' | 'validate' | 'policy';

/** The rule id recorded when no policy rule decided (kill switch, scope, validation…). */
export const DEFAULT_RULE = 'default';

export interface AdmissionDeps extends GateDeps {
  readonly registry: ToolRegistry;
  /** session state (taint, risk) by principal; absent: session rules see no past calls */
  readonly governance?: { summary(principal: string, windows: SummaryWindows): SessionSummary };
  readonly now?: () => number;
}

/** The principal session state is kept for: the root of the delegation chain, else the agent. */
export function principalOf(agentId: string, chain: readonly string[] = []): string {
  return chain[0] ?? agentId;
}

export interface AdmissionRequest {
  readonly agentId: string;
  /** the agent's current tool scope (names or globs) */
  readonly scope: readonly string[];
  /** the untrusted `{tool, args}` body */
  readonly body: unknown;
  /**
   * `call`: a new call from the agent (rate limit and breaker apply; denials count).
   * `approval`: an admin approving a queued call; the agent's budget is left alone and the
   * tool must still have the definition the call was queued against.
   * `check`: POST /tools/check, a dry run: the same decision with nothing taken or counted (no
   * rate-limit token, no breaker denial); a paused breaker still denies, as the call would be.
   */
  readonly mode: 'call' | 'approval' | 'check';
  /** the agent's delegation ancestors, root first (absent or []: not delegated) */
  readonly chain?: readonly string[];
  /** approval mode: the tool definition hash stored with the queued call (absent: not checked) */
  readonly definitionSha256?: string | null;
}

export type Admission =
  | {
    readonly kind: 'deny'; readonly step: AdmissionStep; readonly error: GatewayError; readonly ruleId: string;
    /** the registered tool name, or `unknown`: never arbitrary client text */
    readonly toolLabel: string;
    /** true on the denial that opened the agent's circuit breaker */
    readonly tripped: boolean;
    /** set for a policy deny (the args were valid): their digest */
    readonly argsSha256?: string;
    /** the policy document's hash (policy/version.ts) */
    readonly policyVersion: string;
    /** a taint deny: the call that tainted the principal */
    readonly taintedBy?: string;
    readonly risk?: RiskView;
  }
  | {
    readonly kind: 'pending' | 'allow'; readonly tool: RegisteredTool; readonly args: JsonValue; readonly ruleId: string;
    readonly policyVersion: string; readonly risk?: RiskView;
  };

type Deny = Extract<Admission, { kind: 'deny' }>;

function denyWith(step: AdmissionStep, error: GatewayError, toolLabel: string, policyVersion: string,
  extra: Partial<Pick<Deny, 'ruleId' | 'tripped' | 'argsSha256' | 'taintedBy' | 'risk'>> = {}): Deny {
  const ruleId = extra.ruleId ?? DEFAULT_RULE;
  // every deny body names the rule that decided it
  const withRule = error.extras['rule_id'] === undefined
    ? gwError(error.code, error.detail, { extras: { ...error.extras, rule_id: ruleId }, headers: { ...error.headers } })
    : error;
  return {
    kind: 'deny', step, error: withRule, ruleId, toolLabel, tripped: extra.tripped ?? false, policyVersion,
    ...(extra.argsSha256 === undefined ? {} : { argsSha256: extra.argsSha256 }),
    ...(extra.taintedBy === undefined ? {} : { taintedBy: extra.taintedBy }),
    ...(extra.risk === undefined ? {} : { risk: extra.risk }),
  };
}

export function admit(deps: AdmissionDeps, req: AdmissionRequest): Admission {
  const { agentId, body } = req;
  const agentCall = req.mode === 'call';
  const check = req.mode === 'check';
  const started = performance.now(); // stage timing only (metrics/stages.ts)
  const version = policyHash(deps.policy.get().doc);
  const deny = (step: AdmissionStep, error: GatewayError, toolLabel: string, extra: Parameters<typeof denyWith>[4] = {}): Deny =>
    denyWith(step, error, toolLabel, version, extra);
  const toolName: unknown = isPlainObject(body) ? body['tool'] : undefined;
  const label = typeof toolName === 'string' && deps.registry.has(toolName) ? toolName : 'unknown';

  const pre = check ? peekPreflight(deps, agentId) : gatePreflight(deps, agentId, { agentCall });
  if (!pre.ok) {
    switch (pre.code) {
      case 'GW_ERR_KILL_SWITCH':
        return deny('kill_switch', gwError('GW_ERR_KILL_SWITCH'), label);
      case 'GW_ERR_AGENT_PAUSED':
        return deny('circuit_breaker', gwError('GW_ERR_AGENT_PAUSED', 'Too many denied calls; this agent is paused.', {
          headers: { 'Retry-After': String(pre.retryAfterSeconds) },
        }), label);
      case 'GW_ERR_RATE_LIMITED':
        return deny('rate_limit', gwError('GW_ERR_RATE_LIMITED', 'This agent is calling too fast.', {
          headers: { 'Retry-After': String(pre.retryAfterSeconds) },
        }), label);
      default: {
        const never: never = pre;
        throw new Error(`unexpected preflight ${String(never)}`);
      }
    }
  }
  if (!isPlainObject(body) || Object.keys(body).some((k) => k !== 'tool' && k !== 'args') || !('tool' in body)) {
    return deny('body', gwError('GW_ERR_VALIDATION', 'Send {tool, args}.', {
      extras: { errors: [{ instancePath: '', message: 'must be an object with tool and args only' }] },
    }), label);
  }
  if (typeof toolName === 'string' && !inScope(req.scope, toolName)) {
    const tripped = agentCall ? deps.breaker.recordDenial(agentId).tripped : false;
    return deny('scope', gwError('GW_ERR_TOOL_NOT_IN_SCOPE', 'This tool is not in the agent\'s scope.'), label, { tripped });
  }
  const nameCheck = checkToolName(toolName);
  if (!nameCheck.ok) {
    return deny('tool_name', gwError('GW_ERR_VALIDATION', 'The tool name must be a string of 1 to 256 characters.', {
      extras: { errors: nameCheck.errors },
    }), label);
  }
  const tool = deps.registry.get(nameCheck.name);
  if (tool === undefined) return deny('registry', gwError('GW_ERR_TOOL_NOT_FOUND', 'No tool has that name.'), label);
  const name = tool.manifest.name;
  // an upstream MCP tool whose definition changed or is not pinned yet (upstream/pin.ts)
  if (tool.unavailable !== undefined) return deny('registry', gwError(tool.unavailable.code, tool.unavailable.detail), name);
  if (!agentCall && req.definitionSha256 !== undefined && req.definitionSha256 !== tool.definitionSha256) {
    return deny('tool_changed', gwError('GW_ERR_TOOL_CHANGED',
      'The tool\'s manifest or handler changed since this call was queued; it was not run. Reject it and let the agent call again.'), name);
  }

  const rawArgs: unknown = 'args' in body ? body['args'] : {};
  const clean = sanitizeArgs(rawArgs);
  if (!clean.ok) {
    return deny('sanitize', gwError(clean.code, 'The args contain a forbidden key or structure.', { extras: { errors: clean.errors } }), name);
  }
  const valid = validateArgs(tool, clean.value);
  if (!valid.ok) {
    return deny('validate', gwError('GW_ERR_VALIDATION', 'The args do not match the tool\'s input schema.', { extras: { errors: valid.errors } }), name);
  }
  const validated = stageSince('validate', started);
  const args = clean.value;
  const chain = req.chain ?? [];
  const principal = principalOf(agentId, chain);
  const now = (deps.now ?? Date.now)();
  const gov = deps.governance;
  const decision = gatePolicy(deps, {
    agentId, tool: name, args, chain, manifest: { risk: tool.manifest.risk, requires_approval: tool.manifest.requires_approval },
  }, {
    agentCall,
    session: { tags: tool.manifest.tags, now, summary: (w) => (gov === undefined ? EMPTY_SUMMARY : gov.summary(principal, w)) },
  });
  stageSince('policy', validated);
  if (!decision.ok) {
    const why = decision.reason === 'taint'
      ? `Denied by taint rule ${decision.ruleId}: this agent ran call ${decision.taintedBy ?? '?'} recently, which blocks this tool until ${new Date(decision.taintedUntil ?? now).toISOString()}.`
      : decision.reason === 'risk'
        ? `Denied by ${decision.ruleId}: this agent's cumulative risk is past the policy's deny_at; retry after the window slides.`
        : `Denied by policy rule ${decision.ruleId}.`;
    return deny('policy', gwError('GW_ERR_POLICY_DENIED', why, {
      extras: { rule_id: decision.ruleId, ...(decision.taintedBy === undefined ? {} : { tainted_by: decision.taintedBy }) },
    }), name, {
      ruleId: decision.ruleId, tripped: decision.tripped, argsSha256: argsSha256(name, args),
      ...(decision.taintedBy === undefined ? {} : { taintedBy: decision.taintedBy }),
      ...(decision.risk === undefined ? {} : { risk: decision.risk }),
    });
  }
  return {
    kind: decision.effect === 'allow' ? 'allow' : 'pending',
    tool, args, ruleId: decision.ruleId, policyVersion: version,
    ...(decision.risk === undefined ? {} : { risk: decision.risk }),
  };
}

/** check mode: the kill switch and a paused breaker refuse as they would; nothing is taken or counted. */
function peekPreflight(deps: AdmissionDeps, agentId: string): ReturnType<typeof gatePreflight> {
  const ks = gatePreflight(deps, agentId, { agentCall: false });
  if (!ks.ok) return ks;
  const cb = deps.breaker.check(agentId);
  if (!cb.ok) return { ok: false, code: cb.code, retryAfterSeconds: cb.retryAfterSeconds };
  return { ok: true };
}
