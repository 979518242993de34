/**
 * Admission: the one decision whether a tool call may run, for every caller (REST, MCP,
 * and an admin approving a queued call). In order:
 *   kill switch → circuit breaker → rate limit → body shape → scope → tool name → registry →
 *   (approval: definition hash) → sanitize → ajv args → policy.
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
import type { RegisteredTool, ToolRegistry } from './registry.ts';
import { sanitizeArgs } from './sanitize.ts';
import { inScope } from './scope.ts';
import { checkToolName, validateArgs } from './validate.ts';

export type AdmissionStep =
  | 'kill_switch' | 'circuit_breaker' | 'rate_limit' | 'body' | 'scope' | 'tool_name' | 'registry'
  | 'tool_changed' | 'sanitize' | 'validate' | 'policy';

/** The rule id recorded when no policy rule decided (kill switch, scope, validation…). */
export const DEFAULT_RULE = 'default';

export interface AdmissionDeps extends GateDeps {
  readonly registry: ToolRegistry;
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
   */
  readonly mode: 'call' | 'approval';
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
  }
  | { readonly kind: 'pending' | 'allow'; readonly tool: RegisteredTool; readonly args: JsonValue; readonly ruleId: string; readonly policyVersion: number };

type Deny = Extract<Admission, { kind: 'deny' }>;

function deny(step: AdmissionStep, error: GatewayError, toolLabel: string, extra: Partial<Pick<Deny, 'ruleId' | 'tripped' | 'argsSha256'>> = {}): Deny {
  const ruleId = extra.ruleId ?? DEFAULT_RULE;
  // every deny body names the rule that decided it
  const withRule = error.extras['rule_id'] === undefined
    ? gwError(error.code, error.detail, { extras: { ...error.extras, rule_id: ruleId }, headers: { ...error.headers } })
    : error;
  return {
    kind: 'deny', step, error: withRule, ruleId, toolLabel, tripped: extra.tripped ?? false,
    ...(extra.argsSha256 === undefined ? {} : { argsSha256: extra.argsSha256 }),
  };
}

export function admit(deps: AdmissionDeps, req: AdmissionRequest): Admission {
  const { agentId, body } = req;
  const agentCall = req.mode === 'call';
  const toolName: unknown = isPlainObject(body) ? body['tool'] : undefined;
  const label = typeof toolName === 'string' && deps.registry.has(toolName) ? toolName : 'unknown';

  const pre = gatePreflight(deps, agentId, { agentCall });
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
  const args = clean.value;
  const decision = gatePolicy(deps, {
    agentId, tool: name, args, manifest: { risk: tool.manifest.risk, requires_approval: tool.manifest.requires_approval },
  }, { agentCall });
  if (!decision.ok) {
    return deny('policy', gwError('GW_ERR_POLICY_DENIED', `Denied by policy rule ${decision.ruleId}.`, {
      extras: { rule_id: decision.ruleId },
    }), name, { ruleId: decision.ruleId, tripped: decision.tripped, argsSha256: argsSha256(name, args) });
  }
  return {
    kind: decision.effect === 'allow' ? 'allow' : 'pending',
    tool, args, ruleId: decision.ruleId, policyVersion: decision.policyVersion,
  };
}
