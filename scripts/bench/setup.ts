/**
 * Prepares the gateway under test over its real HTTP API: an admin login, the agents the
 * cases use, a policy that denies one agent (for the audit-heavy burst), and a temp tools
 * dir with `echo.docker` and `eval.docker` (echo and js.eval, backend "docker") for the warm-pool cases.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_ACTIONS_DIR } from '../../sandbox/actions/load.ts';

export const BENCH_ADMIN_PASSWORD = 'palisade bench admin password';
export const ECHO_BODY = JSON.stringify({ tool: 'echo', args: { text: 'hello' } });
export const ECHO_DOCKER_BODY = JSON.stringify({ tool: 'echo.docker', args: { text: 'hello' } });
export const EVAL_BODY = JSON.stringify({ tool: 'eval.isolate', args: { code: 'return 1' } });
export const EVAL_DOCKER_BODY = JSON.stringify({ tool: 'eval.docker', args: { code: 'return 1' } });
/** Worker-killing jobs for the crash-load case (timeout, memory bomb, property explosion). */
export const CRASH_BODIES: readonly string[] = [
  'for (;;) {}', 'const a = []; for (;;) a.push(new Array(1e6).fill(1.5));', 'const o = {}; for (let i = 0; ; i++) o["k" + i] = i;',
].map((code) => JSON.stringify({ tool: 'eval.isolate', args: { code } }));

/** `eval.isolate`: the js.eval action pinned to the isolate, so the eval rows measure the isolate whatever Docker does. */
export function addEvalTool(dir: string): void {
  pinnedCopy(dir, 'js.eval', 'eval.isolate', 'isolate', 'js.eval in the isolate (benchmark)');
}

/** A copy of a built-in action under another name, pinned to one backend (the manifest's other fields as they are). */
function pinnedCopy(dir: string, action: string, name: string, backend: string, description: string): void {
  const target = join(dir, name);
  cpSync(join(BUILTIN_ACTIONS_DIR, action), target, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(target, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(target, 'manifest.json'), JSON.stringify({ ...manifest, name, backend, description }));
}

/** `echo.docker` (trusted, as echo's manifest says) and `eval.docker` (js.eval, untrusted), both pinned to the Docker pool. */
export function makeDockerToolsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-tools-'));
  pinnedCopy(dir, 'echo', 'echo.docker', 'docker', 'echo in the Docker warm pool (benchmark)');
  pinnedCopy(dir, 'js.eval', 'eval.docker', 'docker', 'js.eval in the Docker warm pool (benchmark)');
  return dir;
}

async function json(base: string, method: string, path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export interface Prepared {
  readonly adminToken: string;
  readonly echoAgentToken: string;
  readonly denyAgentToken: string;
  readonly evalAgentToken: string;
  readonly crasherToken: string;
}

export async function prepareGateway(base: string): Promise<Prepared> {
  const login = await json(base, 'POST', '/admin/login', { username: 'admin', password: BENCH_ADMIN_PASSWORD });
  if (login.status !== 200) throw new Error(`bench setup: login answered ${login.status}`);
  const adminToken = String(login.body['token']);
  const agent = async (id: string, tools: string[]): Promise<string> => {
    const r = await json(base, 'POST', '/admin/agents', { agent_id: id, tools, ttl_seconds: 3600 }, adminToken);
    if (r.status !== 201) throw new Error(`bench setup: agent ${id} answered ${r.status}`);
    return String(r.body['token']);
  };
  // echo.docker and eval.docker exist only when the tools dir is makeDockerToolsDir's (an agent may list a tool not loaded)
  const evalTools = ['eval.isolate', 'eval.docker'];
  const echoAgentToken = await agent('bench-echo', ['echo', 'echo.docker']);
  const denyAgentToken = await agent('bench-deny', ['echo']);
  const evalAgentToken = await agent('bench-eval', evalTools);
  const crasherToken = await agent('bench-crasher', ['eval.isolate']);
  const policy = await json(base, 'PUT', '/admin/policy', {
    rules: [
      { id: 'bench-deny-all', effect: 'deny', agents: ['bench-deny'], tools: ['*'] },
      // js.eval needs approval unless a rule allows it: this one lets the eval rows run unattended
      { id: 'bench-eval', effect: 'allow', agents: ['bench-eval', 'bench-crasher'], tools: evalTools },
    ],
  }, adminToken);
  if (policy.status !== 200) throw new Error(`bench setup: PUT /admin/policy answered ${policy.status} ${JSON.stringify(policy.body)}`);
  return { adminToken, echoAgentToken, denyAgentToken, evalAgentToken, crasherToken };
}

/** Polls /health/ready until the docker backend reports healthy (image build + pool start); detail: its entry there. */
export async function waitForDocker(base: string, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const end = Date.now() + timeoutMs;
  let detail = 'no answer';
  while (Date.now() < end) {
    try {
      const r = await json(base, 'GET', '/health/ready', undefined);
      const docker = (r.body['backends'] as Record<string, unknown> | undefined)?.['docker'];
      // routing.docker names the worker image and the OCI runtime (runc, or runsc when auto finds it)
      const words = (r.body['routing'] as Record<string, unknown> | undefined)?.['docker'];
      detail = `${JSON.stringify(docker)}${typeof words === 'string' ? `; ${words}` : ''}`;
      if (typeof docker === 'object' && docker !== null && (docker as Record<string, unknown>)['healthy'] === true) return { ok: true, detail };
    } catch (error) {
      detail = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ok: false, detail };
}

/** One request whose answer must match before a case is measured (proves the case does real work). */
export async function preflight(url: string, init: { method: string; headers: Record<string, string>; body?: string }, status: number, check: (body: unknown) => boolean): Promise<void> {
  const res = await fetch(url, { method: init.method, headers: { 'content-type': 'application/json', ...init.headers }, ...(init.body === undefined ? {} : { body: init.body }) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if (res.status !== status || !check(body)) throw new Error(`preflight ${init.method} ${url}: expected ${status}, got ${res.status} ${text.slice(0, 300)}`);
}
