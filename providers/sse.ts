/**
 * Server-sent events writer for a Node http.ServerResponse. Sends the stream headers, JSON
 * `data:` frames, named events (`event: error`), `: ping` heartbeats on an interval, and owns
 * an AbortController that fires when the client disconnects before `end()`; pass `signal` to
 * the upstream call so a gone client stops the provider request.
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
  end(): void;
}

export interface SseOptions {
  /** heartbeat interval; default 15 s */
  readonly heartbeatMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function openSse(req: IncomingMessage, res: ServerResponse, options: SseOptions = {}): SseWriter {
  const controller = new AbortController();
  let closed = false;
  res.writeHead(200, {
    ...options.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  req.socket.setNoDelay(true);
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': ping\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const finish = (): void => {
    clearInterval(heartbeat);
    if (!closed) {
      closed = true;
      controller.abort();
    }
  };
  res.on('close', finish);
  res.on('error', finish);

  const write = (text: string): boolean => (closed ? false : res.write(text));
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
    end: () => {
      clearInterval(heartbeat);
      if (!closed) {
        closed = true; // a normal end is not a client disconnect: the signal stays un-aborted
        res.end();
      }
    },
  };
}
