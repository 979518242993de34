/**
 * Server-sent events writer for a Node http.ServerResponse. Sends the stream headers, JSON
 * `data:` frames, named events (`event: error`), `: ping` heartbeats on an interval, and owns
 * an AbortController that fires when the client disconnects before `end()`; pass `signal` to
 * the upstream call so a gone client stops the provider request.
 *
 * Stream lifetime: with a guard (passed in `options.guard`, or left by the authentication
 * middleware in `res.locals[SSE_GUARD_LOCAL]`, so every authenticated stream has one), the
 * principal is re-checked before every frame and every `recheckMs`, and the stream ends after
 * `maxLifetimeMs`. A failed check writes one final `event: error` frame with the guard's code,
 * ends the response and aborts `signal` (upstream calls and subscriptions stop): nothing is
 * sent after a revocation, expiry or deletion.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseWriter {
  /** aborted when the client goes away before end() */
  readonly signal: AbortSignal;
  readonly closed: boolean;
  /** `data: <json>` frame; returns false when the socket buffer is full (see drained()) */
  data(value: unknown): boolean;
  /** `data: <text>` for literal markers such as `[DONE]` (single line only) */
  dataText(text: string): boolean;
  /** `event: <name>` + `data: <json>` */
  event(name: string, value: unknown): boolean;
  drained(): Promise<void>;
  /**
   * sends what was written so far now. Node's http response corks its socket on a write and
   * uncorks on the next tick, which under a burst of already-received upstream events comes only
   * after the whole burst is re-framed: the first token would wait for the last.
   */
  flush(): void;
  end(): void;
  /** how the final frame of a guard-ended stream is written (default: `event: error` + {code, message}) */
  setTerminalFrame(format: (verdict: { code: string; message: string }) => string): void;
}

/** Why a stream must end now; null while it may continue. */
export type SseGuardVerdict = { readonly code: string; readonly message: string } | null;

export interface SseGuard {
  /** re-checks the stream's principal (cheap: called before every frame) */
  check(): SseGuardVerdict;
  /** how often to re-check while no frame is written */
  readonly recheckMs: number;
  /** the stream ends after this long whatever happens */
  readonly maxLifetimeMs: number;
}

/** res.locals key under which the authentication middleware leaves the request's guard */
export const SSE_GUARD_LOCAL = 'palisadeSseGuard';

export const STREAM_LIFETIME_CODE = 'GW_ERR_STREAM_LIFETIME';

export interface SseOptions {
  /** heartbeat interval; default 15 s */
  readonly heartbeatMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** overrides the guard found in res.locals */
  readonly guard?: SseGuard;
}

function guardOf(res: ServerResponse, options: SseOptions): SseGuard | undefined {
  if (options.guard !== undefined) return options.guard;
  const locals = (res as ServerResponse & { locals?: Record<string, unknown> }).locals;
  const g = locals?.[SSE_GUARD_LOCAL] as SseGuard | undefined;
  return g !== undefined && typeof g.check === 'function' ? g : undefined;
}

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function openSse(req: IncomingMessage, res: ServerResponse, options: SseOptions = {}): SseWriter {
  const controller = new AbortController();
  const guard = guardOf(res, options);
  const openedAt = Date.now();
  let closed = false;
  res.writeHead(200, {
    ...options.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  // the headers leave in the next loop turn, once the provider request is on its way: flushed
  // here, their socket write sat between the client's request and the upstream call on every
  // stream's first-token path (about 0.1 ms; issue 23). A frame written first carries them.
  setImmediate(() => {
    if (!closed) res.flushHeaders();
  });
  req.socket.setNoDelay(true);
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': ping\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  let recheck: NodeJS.Timeout | undefined;
  let lifetime: NodeJS.Timeout | undefined;
  const stopTimers = (): void => {
    clearInterval(heartbeat);
    if (recheck !== undefined) clearInterval(recheck);
    if (lifetime !== undefined) clearTimeout(lifetime);
  };
  const finish = (): void => {
    stopTimers();
    if (!closed) {
      closed = true;
      controller.abort();
    }
  };
  res.on('close', finish);
  res.on('error', finish);

  let terminalFrame = (v: { code: string; message: string }): string => `event: error\ndata: ${JSON.stringify(v)}\n\n`;
  /** ends the stream with one final error frame; the signal aborts so producers stop */
  const terminate = (verdict: { code: string; message: string }): void => {
    if (closed) return;
    stopTimers();
    closed = true;
    res.end(terminalFrame(verdict));
    controller.abort();
  };
  const verdict = (): SseGuardVerdict => {
    if (guard === undefined) return null;
    if (Date.now() - openedAt >= guard.maxLifetimeMs) {
      return { code: STREAM_LIFETIME_CODE, message: 'The stream reached its maximum lifetime; reconnect.' };
    }
    try {
      return guard.check();
    } catch {
      return { code: 'GW_ERR_UNAVAILABLE', message: 'The stream could not re-check its token.' };
    }
  };
  /** true when the stream may go on; otherwise it has been terminated */
  const allowed = (): boolean => {
    if (closed) return false;
    const v = verdict();
    if (v !== null) terminate(v);
    return v === null;
  };
  if (guard !== undefined) {
    recheck = setInterval(allowed, Math.max(10, guard.recheckMs));
    recheck.unref();
    lifetime = setTimeout(allowed, Math.max(0, guard.maxLifetimeMs));
    lifetime.unref();
  }

  const write = (text: string): boolean => (allowed() ? res.write(text) : false);
  return {
    signal: controller.signal,
    get closed() {
      return closed;
    },
    data: (value) => write(`data: ${JSON.stringify(value)}\n\n`),
    dataText: (text) => {
      if (/[\r\n]/.test(text)) throw new Error('dataText must be a single line');
      return write(`data: ${text}\n\n`);
    },
    event: (name, value) => {
      if (!EVENT_NAME.test(name)) throw new Error('invalid SSE event name');
      return write(`event: ${name}\ndata: ${JSON.stringify(value)}\n\n`);
    },
    drained: () =>
      closed || !res.writableNeedDrain
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const done = (): void => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          }),
    flush: () => {
      const socket = res.socket;
      if (!closed && socket !== null && socket.writableCorked > 0) socket.uncork();
    },
    setTerminalFrame: (format) => {
      terminalFrame = format;
    },
    end: () => {
      stopTimers();
      if (!closed) {
        closed = true; // a normal end is not a client disconnect: the signal stays un-aborted
        res.end();
      }
    },
  };
}
