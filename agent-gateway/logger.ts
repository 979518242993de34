/** Structured JSON logs to stdout. Callers pass fields; never secrets or tokens. */
import type { LogLevel } from './config.ts';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < RANK[level]) return;
    let line: string;
    try {
      line = JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...fields });
    } catch {
      line = JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg });
    }
    write(`${line}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: Logger = createLogger('silent', () => {});

/**
 * The level for a line from the sandbox worker pools: routine lifecycle (a worker ready, a
 * worker that ended on SIGINT/SIGTERM or exit code 0, as at a normal shutdown) is info; start
 * failures, crashes and anything unrecognised (child stderr) stay warn.
 */
export function workerLogLevel(line: string): 'info' | 'warn' {
  if (/ worker \d+ ready$/.test(line)) return 'info';
  if (/ worker ended: /.test(line) && (/"signal":"SIG(INT|TERM)"/.test(line) || /"code":0[,}]/.test(line))) return 'info';
  return 'warn';
}
