/** Runs the real gateway entry (agent-gateway/main.ts) as a child process on a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ADMIN_PASSWORD, call, tempDir } from './gateway.ts';

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

export async function spawnGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = env['PALISADE_DATA_DIR'] ?? tempDir();
  const port = await freePort();
  const child = spawn(process.execPath, ['agent-gateway/main.ts'], {
    env: {
      PATH: process.env['PATH'] ?? '', PALISADE_DATA_DIR: dataDir, PALISADE_PORT: String(port),
      PALISADE_ADMIN_PASSWORD: ADMIN_PASSWORD, PALISADE_SANDBOX_BACKEND: 'isolate', PALISADE_LOG_LEVEL: 'info', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await call(base, 'GET', '/health')).status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || i > 300) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, dataDir, child, exited, output: () => out };
}
