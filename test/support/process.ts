/**
 * Runs the real gateway entry (agent-gateway/main.ts) as a child process. The gateway binds
 * port 0 itself (PALISADE_PORT=0) and the test reads the bound port back from its
 * "palisade listening" line, so no port is ever released and re-used in between.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ADMIN_PASSWORD, call, tempDir } from './gateway.ts';

/**
 * A port nothing listens on (it was bound and released): ONLY for tests that need a refused
 * connection ("the gateway is down"). Never use it to start a server: bind 0 in the server.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface GatewayProcess {
  readonly base: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** Resolves when `predicate(output)` holds, rejects at `deadlineMs` or when the child exits first. */
export function waitForOutput(
  gw: { child: ChildProcess; output(): string },
  predicate: (out: string) => boolean,
  deadlineMs = 30_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!predicate(gw.output())) return;
      done();
      resolve();
    };
    const onExit = (): void => {
      done();
      reject(new Error(`child exited before the expected output:\n${gw.output()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no expected output within ${deadlineMs} ms:\n${gw.output()}`));
    }, deadlineMs);
    const done = (): void => {
      clearTimeout(timer);
      gw.child.stdout?.off('data', check);
      gw.child.stderr?.off('data', check);
      gw.child.off('exit', onExit);
    };
    gw.child.stdout?.on('data', check);
    gw.child.stderr?.on('data', check);
    gw.child.on('exit', onExit);
    check();
  });
}

/**
 * Starts the gateway on port 0 and waits (bounded) for its listening line and a 200 /health.
 * The log level is at least `info`, since the bound port is read from an info line.
 */
export async function spawnGateway(env: Record<string, string> = {}, startDeadlineMs = 60_000): Promise<GatewayProcess> {
  const dataDir = env['PALISADE_DATA_DIR'] ?? tempDir();
  const level = env['PALISADE_LOG_LEVEL'] === 'debug' ? 'debug' : 'info';
  const child = spawn(process.execPath, ['agent-gateway/main.ts'], {
    env: {
      PATH: process.env['PATH'] ?? '', PALISADE_DATA_DIR: dataDir,
      PALISADE_ADMIN_PASSWORD: ADMIN_PASSWORD, PALISADE_SANDBOX_BACKEND: 'isolate', ...env, PALISADE_PORT: '0', PALISADE_LOG_LEVEL: level,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc = { child, output: () => out };
  const listening = /"msg":"palisade listening","address":"127\.0\.0\.1:(\d+)"/;
  try {
    await waitForOutput(proc, (o) => listening.test(o), startDeadlineMs);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`gateway did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  const base = `http://127.0.0.1:${listening.exec(out)?.[1] ?? ''}`;
  const deadline = Date.now() + startDeadlineMs;
  for (;;) {
    const status = await call(base, 'GET', '/health').then((r) => r.status, () => 0);
    if (status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not answer /health:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base, dataDir, child, exited, output: () => out };
}
