/**
 * `palisade policy test FILE.json`: runs a table of cases against a policy document offline,
 * through the gateway's own decision code (policy/gate.ts gatePolicy: rules, then taint and
 * risk from the case's history), with no gateway. Exit 1 with a diff on any mismatch.
 *
 * File: {policy, tools?: {name: {risk?, requires_approval?, tags?}}, cases: [{name?, agent,
 * chain?, history?: [{tool, ago_seconds?}], call: {tool, args?}, expect, rule_id?}]}
 */
import { readFileSync } from 'node:fs';
import { AgentCircuitBreaker } from '../../agent-gateway/policy/circuit-breaker.ts';
import { gatePolicy } from '../../agent-gateway/policy/gate.ts';
import type { SessionCall } from '../../agent-gateway/policy/session.ts';
import { validatePolicy } from '../../agent-gateway/policy/validate.ts';
import { parse } from './args.ts';
import { EXIT, EXIT_CODES_HELP, usageError, type Command, type Group } from './types.ts';

const TEST_HELP = `Usage: palisade policy test FILE.json

Runs each case of FILE against its policy document with the gateway's decision code (rules,
taint rules, cumulative risk), offline. FILE:
  { "policy": { "rules": [...], "taint": [...], "risk": {...} },
    "tools": { "vault.read": { "risk": "low", "tags": ["reads:secret"] } },
    "cases": [ { "name": "...", "agent": "bot", "chain": [], "history": [{ "tool": "vault.read", "ago_seconds": 10 }],
                 "call": { "tool": "web.post", "args": {} }, "expect": "deny", "rule_id": "no-exfil" } ] }
A tool missing from "tools" is low risk, no approval, no tags.

${EXIT_CODES_HELP}
  (1 here: a case did not get its expected decision)`;

type Level = 'low' | 'medium' | 'high';
interface ToolInfo { risk?: Level; requires_approval?: boolean; tags?: string[] }
interface Case {
  name?: string; agent: string; chain?: string[]; history?: Array<{ tool: string; ago_seconds?: number }>;
  call: { tool: string; args?: unknown }; expect: 'allow' | 'deny' | 'require_approval'; rule_id?: string;
}

const test: Command = {
  summary: 'run a table of decision cases against a policy document offline',
  help: TEST_HELP,
  async run(argv, io) {
    const p = parse(argv, {}, { min: 1, max: 1 });
    if (p.help) return (io.out(`${TEST_HELP}\n`), EXIT.OK);
    const file = p.positionals[0] as string;
    let raw: { policy?: unknown; tools?: Record<string, ToolInfo>; cases?: Case[] };
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw;
    } catch (error) {
      throw usageError(`cannot read ${file} as JSON: ${(error as Error).message.slice(0, 200)}`);
    }
    const v = validatePolicy(raw.policy);
    if (!v.ok) {
      for (const e of v.errors) io.err(`policy${e.instancePath}: ${e.message}\n`);
      return EXIT.USAGE;
    }
    if (!Array.isArray(raw.cases)) throw usageError('"cases" must be a list');
    const tools = raw.tools ?? {};
    const info = (name: string) => (Object.hasOwn(tools, name) ? tools[name] as ToolInfo : {});
    const now = Date.parse('2026-01-01T00:00:00Z');
    const deps = { policy: { get: () => ({ version: 0, doc: v.doc }) }, breaker: new AgentCircuitBreaker({ threshold: 1e9, windowMs: 1, cooldownMs: 1 }) };
    let failed = 0;
    raw.cases.forEach((c, i) => {
      const label = c.name ?? `case ${i + 1}`;
      const history: SessionCall[] = (c.history ?? []).map((h, j) => ({
        call_id: `history:${j + 1}`, tool: h.tool, tags: info(h.tool).tags ?? [], risk: info(h.tool).risk ?? 'low', ts: now - (h.ago_seconds ?? 1) * 1000,
      }));
      const t = info(c.call.tool);
      const d = gatePolicy(deps, {
        agentId: c.agent, tool: c.call.tool, args: c.call.args ?? {}, chain: c.chain ?? [],
        manifest: { risk: t.risk ?? 'low', requires_approval: t.requires_approval ?? false },
      }, { agentCall: false, session: { tags: t.tags ?? [], now, history: (since) => history.filter((h) => h.ts > since) } });
      const got = { decision: d.ok ? d.effect : 'deny', rule_id: d.ruleId };
      const ok = got.decision === c.expect && (c.rule_id === undefined || c.rule_id === got.rule_id);
      if (ok) {
        io.out(`ok    ${label}: ${got.decision} (${got.rule_id})\n`);
      } else {
        failed += 1;
        io.out(`FAIL  ${label}\n  - expected: ${c.expect}${c.rule_id === undefined ? '' : ` (${c.rule_id})`}\n  + got:      ${got.decision} (${got.rule_id})\n`);
      }
    });
    io.out(`${raw.cases.length - failed} passed, ${failed} failed\n`);
    return failed === 0 ? EXIT.OK : EXIT.FAILED;
  },
};

export const policyGroup: Group = {
  summary: 'policy documents',
  help: `Usage: palisade policy <command>

Commands:
  test FILE.json   ${test.summary}

${EXIT_CODES_HELP}`,
  commands: { test },
};
