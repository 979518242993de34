/** `palisade agent issue|revoke|list`: agent identities and their scoped tokens. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { enqueueAuditEvent } from '../../agent-gateway/audit/outbox.ts';
import { AGENT_ID_PATTERN, TOOL_GLOB_PATTERN } from '../../agent-gateway/auth/agents.ts';
import { flag, intArg, parse, str } from './args.ts';
import { loadConfig } from './config.ts';
import { withState } from './state.ts';
import { mcpClientConfig, mcpSnippets } from './mcp.ts';
import { escapeControls } from './terminal.ts';
import { EXIT, EXIT_CODES_HELP, usageError, type Command, type Group } from './types.ts';

const MAX_TOOLS = 256;

const ISSUE_HELP = `Usage: palisade agent issue <agent-id> --tools <name-or-glob,...> [--ttl <seconds>] [--json] [--mcp]

Creates an agent identity allowed to call the listed tools (exact names or globs such as
"text.*") and prints its bearer token once on stdout. Only the token's hash is stored: it
cannot be shown again. Agent ids: 1-64 of a-z 0-9 _ . - starting with a letter or digit (no ':'
and no capitals, so audit actor strings such as agent:<id> stay unambiguous).

Options:
  --tools <list>   comma-separated tool names or globs (required)
  --ttl <seconds>  token lifetime, 60 up to 31536000 (default 86400)
  --json           print {agent_id, token, expires_at} as JSON instead of the bare token
  --mcp            print ready MCP client configs with the token (Claude Desktop, Cursor,
                   VS Code, Claude Code; see docs/mcp.md); with --json: an "mcp" key
  -h, --help       show this help

${EXIT_CODES_HELP}
  (1 here: the agent id exists; revoke it first)`;

const REVOKE_HELP = `Usage: palisade agent revoke <agent-id>

Deletes the agent; its token stops working at once (also on a running gateway).

${EXIT_CODES_HELP}
  (1 here: no such agent)`;

const LIST_HELP = `Usage: palisade agent list [--json]

Lists agents: id, allowed tools, expiry (tokens are never shown).

Options:
  --json       print JSON
  -h, --help   show this help

${EXIT_CODES_HELP}`;

function agentId(raw: string | undefined): string {
  if (raw === undefined || !new RegExp(AGENT_ID_PATTERN).test(raw)) {
    throw usageError(`invalid agent id ${JSON.stringify((raw ?? '').slice(0, 80))}: use 1-64 of a-z 0-9 _ . - starting with a letter or digit`);
  }
  return raw;
}

/** Parses --tools: non-empty, unique, each a name or glob the HTTP API would accept. */
export function parseToolList(raw: string): { ok: true; tools: string[] } | { ok: false; message: string } {
  const tools = raw.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (tools.length === 0) return { ok: false, message: '--tools needs at least one tool name or glob' };
  if (tools.length > MAX_TOOLS) return { ok: false, message: `--tools takes at most ${MAX_TOOLS} entries` };
  const pattern = new RegExp(TOOL_GLOB_PATTERN);
  const bad = tools.find((t) => !pattern.test(t));
  if (bad !== undefined) return { ok: false, message: `--tools: ${JSON.stringify(bad.slice(0, 80))} is not a tool name or glob (A-Z a-z 0-9 _ . * ? : -)` };
  if (new Set(tools).size !== tools.length) return { ok: false, message: '--tools lists a tool twice' };
  return { ok: true, tools };
}

/** Absolute paths, so a client can launch the bridge from any working directory. */
function mcpSnippetInput(config: { host: string; port: number }, token: string): { token: string; url: string; node: string; cli: string } {
  const pinned = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  return {
    token,
    url: `http://${host}:${config.port}/mcp`,
    node: existsSync(pinned) ? pinned : process.execPath,
    cli: fileURLToPath(new URL('../cli.ts', import.meta.url)),
  };
}

const issue: Command = {
  summary: 'create an agent and print its token once',
  help: ISSUE_HELP,
  async run(argv, io) {
    const p = parse(argv, { tools: { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean' }, mcp: { type: 'boolean' } }, { min: 1, max: 1 });
    if (p.help) return (io.out(`${ISSUE_HELP}\n`), EXIT.OK);
    const id = agentId(p.positionals[0]);
    const toolsRaw = str(p, 'tools');
    if (toolsRaw === undefined) throw usageError('--tools is required (e.g. --tools echo,text.*)');
    const tools = parseToolList(toolsRaw);
    if (!tools.ok) throw usageError(tools.message);
    const config = loadConfig(io);
    const { agentTtlSecondsDefault, agentTtlSecondsMax } = config.auth;
    const ttlRaw = str(p, 'ttl');
    const ttl = ttlRaw === undefined ? agentTtlSecondsDefault : intArg('--ttl', ttlRaw, 60, agentTtlSecondsMax);
    return withState(config, (s) => {
      const created = s.agents.create(id, tools.tools, ttl, 'cli', Date.now());
      if (created === undefined) {
        io.err(`palisade: agent ${JSON.stringify(id)} exists; run "palisade agent revoke ${id}" first\n`);
        return EXIT.FAILED;
      }
      const expiresAt = new Date(created.expiresAt).toISOString();
      enqueueAuditEvent(s.db, { type: 'agent.create', actor: 'cli', outcome: 'ok', data: { agent_id: id, tools: tools.tools, expires_at: expiresAt } });
      const snippet = flag(p, 'mcp') ? mcpSnippetInput(config, created.token) : undefined;
      if (flag(p, 'json')) {
        const mcp = snippet === undefined ? {} : { mcp: mcpClientConfig(snippet) };
        io.out(`${JSON.stringify({ agent_id: id, token: created.token, expires_at: expiresAt, ...mcp })}\n`);
      } else if (snippet !== undefined) {
        io.out(mcpSnippets(snippet));
        io.err(`issued agent ${JSON.stringify(id)} for tools ${tools.tools.join(',')}, expires ${expiresAt}; the token in these snippets is shown only once\n`);
      } else {
        io.out(`${created.token}\n`);
        io.err(`issued agent ${JSON.stringify(id)} for tools ${tools.tools.join(',')}, expires ${expiresAt}; the token above is shown only once\n`);
      }
      return EXIT.OK;
    });
  },
};

const revoke: Command = {
  summary: "delete an agent and revoke its token",
  help: REVOKE_HELP,
  async run(argv, io) {
    const p = parse(argv, {}, { min: 1, max: 1 });
    if (p.help) return (io.out(`${REVOKE_HELP}\n`), EXIT.OK);
    const id = agentId(p.positionals[0]);
    const config = loadConfig(io);
    return withState(config, (s) => {
      if (!s.agents.delete(id)) {
        io.err(`palisade: no agent ${JSON.stringify(id)}\n`);
        return EXIT.FAILED;
      }
      enqueueAuditEvent(s.db, { type: 'agent.delete', actor: 'cli', outcome: 'ok', data: { agent_id: id } });
      io.out(`revoked agent ${JSON.stringify(id)}\n`);
      return EXIT.OK;
    });
  },
};

const list: Command = {
  summary: 'list agents (never their tokens)',
  help: LIST_HELP,
  async run(argv, io) {
    const p = parse(argv, { json: { type: 'boolean' } }, { min: 0, max: 0 });
    if (p.help) return (io.out(`${LIST_HELP}\n`), EXIT.OK);
    const config = loadConfig(io);
    const agents = await withState(config, (s) => s.agents.list());
    if (flag(p, 'json')) {
      io.out(`${JSON.stringify({ agents })}\n`);
      return EXIT.OK;
    }
    if (agents.length === 0) {
      io.out('no agents\n');
      return EXIT.OK;
    }
    const now = Date.now();
    const rows = agents.map((a) => [a.agent_id, a.tools.join(','), a.expires_at + (Date.parse(a.expires_at) <= now ? ' (expired)' : ''), a.created_by].map(escapeControls));
    const head = ['AGENT', 'TOOLS', 'EXPIRES', 'CREATED BY'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
    io.out(`${[line(head), ...rows.map(line)].join('\n')}\n`);
    return EXIT.OK;
  },
};

export const agentGroup: Group = {
  summary: 'issue, revoke and list agent tokens',
  help: `Usage: palisade agent <command> [options]

Commands:
  issue <agent-id> --tools a,b* [--ttl s]   ${issue.summary}
  revoke <agent-id>                         ${revoke.summary}
  list                                      ${list.summary}

Run "palisade agent <command> --help" for details.

${EXIT_CODES_HELP}`,
  commands: { issue, revoke, list },
};
