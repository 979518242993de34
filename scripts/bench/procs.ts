/** Child servers for the benchmark: start one, wait for READY <port>, read its RSS, stop it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../../agent-gateway/node-flags.ts';

export interface Server {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export function startServer(name: string, script: string, env: Record<string, string>, readyTimeoutMs = 180_000): Promise<Server> {
  // the gateway child runs with the production gateway's V8 flags (agent-gateway/node-flags.ts)
  const flags = basename(script) === 'gateway-child.ts' ? GATEWAY_NODE_FLAGS : [];
  const child = spawn(process.execPath, [...flags, script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const stop = (): Promise<void> => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${name} not ready within ${readyTimeoutMs / 1000} s: ${stderr}`));
    }, readyTimeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m?.[1] !== undefined && child.pid !== undefined) {
        clearTimeout(timer);
        resolve({ name, pid: child.pid, port: Number(m[1]), child, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready: ${stderr}`));
    });
  });
}

/** One "Key:   N kB" line of a /proc/<pid> file, in MiB (NaN if the process is gone). */
function procMiB(pid: number, file: string, key: string): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return m?.[1] === undefined ? Number.NaN : Number(m[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** VmRSS of one process in MiB (NaN if it is gone). */
export function rssMiB(pid: number): number {
  return procMiB(pid, 'status', 'VmRSS');
}

/** Pss of one process in MiB: its RSS with each shared page (the node binary, libraries) split between the processes mapping it. */
export function pssMiB(pid: number): number {
  return procMiB(pid, 'smaps_rollup', 'Pss');
}

/** A process and all its descendants (the gateway plus its isolate host children). */
function treeOf(root: number): Set<number> {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

function sumOver(root: number, of: (pid: number) => number): number {
  let total = 0;
  for (const pid of treeOf(root)) {
    const r = of(pid);
    if (Number.isFinite(r)) total += r;
  }
  return total;
}

/** Sum of the RSS of a process and its descendants, MiB (shared pages counted once per process). */
export function treeRssMiB(root: number): number {
  return sumOver(root, rssMiB);
}

/** Sum of the Pss of a process and its descendants, MiB (shared pages counted once in all: the memory the tree really holds). */
export function treePssMiB(root: number): number {
  return sumOver(root, pssMiB);
}
