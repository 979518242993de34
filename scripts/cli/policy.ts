/**
 * `palisade policy test FILE.yaml|FILE.json`: runs a table of cases against a policy document
 * offline, through the gateway's own decision code (policy/gate.ts gatePolicy: rules, then
 * taint and risk from the case's history), with no gateway. Exit 1 with a diff on any mismatch.
 *
 * File (policy-cases.ts checks it, JSON or YAML alike): {policy, tools?: {name: {risk?,
 * requires_approval?, tags?}}, cases: [{name?, agent, chain?, history?: [{tool, ago_seconds?}],
 * call: {tool, args?}, expect, rule_id?}]}
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AgentCircuitBreaker } from '../../agent-gateway/policy/circuit-breaker.ts';
import { gatePolicy } from '../../agent-gateway/policy/gate.ts';
import { summarize, type SessionCall } from '../../agent-gateway/policy/session.ts';
import { validatePolicy } from '../../agent-gateway/policy/validate.ts';
import { parse } from './args.ts';
import { CASE_FILE_MAX_BYTES, parseCaseFile, type ToolInfo } from './policy-cases.ts';
import { EXIT, EXIT_CODES_HELP, usageError, type Command, type Group } from './types.ts';

const TEST_HELP = `Usage: palisade policy test FILE.yaml|FILE.json

Runs each case of FILE against its policy document with the gateway's decision code (rules,
taint rules, cumulative risk), offline. FILE is YAML (.yaml, .yml: plain data only, no tags,
at most 64 aliases) or JSON (any other name), at most 1 MiB, of this shape:
  { "policy": { "rules": [...], "taint": [...], "risk": {...} },
    "tools": { "vault.read": { "risk": "low", "tags": ["reads:secret"] } },
    "cases": [ { "name": "...", "agent": "bot", "chain": [], "history": [{ "tool": "vault.read", "ago_seconds": 10 }],
                 "call": { "tool": "web.post", "args": {} }, "expect": "deny", "rule_id": "no-exfil" } ] }
A tool missing from "tools" is low risk, no approval, no tags.

${EXIT_CODES_HELP}
  (2 here: FILE is unreadable, not plain YAML/JSON, or not of this shape; every problem is listed)
  (1 here: a case did not get its expected decision)`;

/** At most CASE_FILE_MAX_BYTES of a regular file (larger → a usage error, nothing parsed). */
function readCaseText(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as Error).message.slice(0, 200)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw usageError(`${file} is not a regular file`);
    if (st.size > CASE_FILE_MAX_BYTES) throw usageError(`${file} is larger than ${CASE_FILE_MAX_BYTES} bytes`);
    const buf = Buffer.alloc(CASE_FILE_MAX_BYTES + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > CASE_FILE_MAX_BYTES) throw usageError(`${file} is larger than ${CASE_FILE_MAX_BYTES} bytes`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const test: Command = {
  summary: 'run a table of decision cases against a policy document offline',
  help: TEST_HELP,
  async run(argv, io) {
    const p = parse(argv, {}, { min: 1, max: 1 });
    if (p.help) return (io.out(`${TEST_HELP}\n`), EXIT.OK);
    const file = p.positionals[0] as string;
    const parsed = parseCaseFile(readCaseText(file), /\.ya?ml$/i.test(file) ? 'yaml' : 'json');
    if (!parsed.ok) {
      for (const problem of parsed.problems) io.err(`${file}: ${problem}\n`);
      return EXIT.USAGE;
    }
    const raw = parsed.file;
    const v = validatePolicy(raw.policy);
    if (!v.ok) {
      for (const e of v.errors) io.err(`policy${e.instancePath}: ${e.message}\n`);
      return EXIT.USAGE;
    }
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
      }, { agentCall: false, session: { tags: t.tags ?? [], now, summary: (w) => summarize(history, w) } });
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
  test FILE.yaml|FILE.json   ${test.summary}

${EXIT_CODES_HELP}`,
  commands: { test },
};
