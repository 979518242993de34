/**
 * A real HTTP server on 127.0.0.1 (random port) that speaks the three provider wire formats:
 * OpenAI chat.completions (SSE chunks + `data: [DONE]`, or JSON) on any path ending in
 * /v1/chat/completions, Anthropic Messages (SSE events, or JSON) on /v1/messages, and Ollama
 * /api/chat (NDJSON, or JSON). It records every request body it received and every client
 * disconnect before the response finished. Knobs select failure modes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number } // answers with this status and an error body containing SECRET_ERROR_TEXT
  | { kind: 'fail-mid-stream' } // sends two tokens then destroys the connection (stream) / 500 (non-stream)
  | { kind: 'error-event' } // sends one token then the provider's in-band error frame
  | { kind: 'hang' } // accepts the request and never answers
  | { kind: 'huge' } // streams large chunks until the client goes away
  | { kind: 'redirect'; location: string }; // 302 to `location`

export const SECRET_ERROR_TEXT = 'upstream-internal-detail-sk-live-should-not-leak';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface FakeProvider {
  readonly origin: string;
  readonly port: number;
  mode: FakeMode;
  tokens: string[];
  /** model ids listed by GET /v1/models and /api/tags */
  models: string[];
  /** the arguments JSON the fake model puts in its tool call when the request has `tools` */
  toolArguments: string;
  chunkDelayMs: number;
  readonly received: ReceivedRequest[];
  /** number of TCP connections accepted */
  connections: number;
  /** number of responses whose client went away before the response finished */
  aborted: number;
  waitForAbort(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startFakeProvider(): Promise<FakeProvider> {
  const sockets = new Set<Socket>();
  const abortWaiters: Array<() => void> = [];
  const state: FakeProvider = {
    origin: '',
    port: 0,
    mode: { kind: 'ok' },
    tokens: ['Hel', 'lo', ' wor', 'ld'],
    models: ['fake-small', 'fake-large'],
    toolArguments: '{"city":"Paris"}',
    chunkDelayMs: 0,
    received: [],
    connections: 0,
    aborted: 0,
    waitForAbort(timeoutMs = 20_000) {
      if (state.aborted > 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no abort observed')), timeoutMs);
        abortWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    close: async () => {},
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.received.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, body });
      res.on('close', () => {
        if (!res.writableFinished) {
          state.aborted += 1;
          for (const w of abortWaiters.splice(0)) w();
        }
      });
      void handle(req, res, body).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket: Socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const mode = state.mode;
    if (mode.kind === 'redirect') {
      res.writeHead(302, { location: mode.location, 'content-length': '0' }).end();
      return;
    }
    if (mode.kind === 'hang') return;
    if (req.method === 'GET' && (path.endsWith('/v1/models') || path.endsWith('/api/tags'))) {
      const doc = path.endsWith('/api/tags')
        ? { models: state.models.map((name) => ({ name, model: name })) }
        : { object: 'list', data: state.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
      return;
    }
    if (mode.kind === 'status') {
      const text = JSON.stringify({ error: { message: SECRET_ERROR_TEXT, type: 'server_error' } });
      res.writeHead(mode.status, { 'content-type': 'application/json' }).end(text);
      return;
    }
    let parsed: { stream?: unknown; model?: unknown; tools?: Array<{ function?: { name?: string } }>; messages?: Array<{ role?: string; content?: unknown }> } = {};
    try {
      parsed = JSON.parse(raw) as typeof parsed;
    } catch {
      res.writeHead(400).end();
      return;
    }
    const wire = path.endsWith('/v1/chat/completions') ? 'openai' : path.endsWith('/v1/messages') ? 'anthropic' : path.endsWith('/api/chat') ? 'ollama' : undefined;
    if (!wire) {
      res.writeHead(404).end();
      return;
    }
    const model = typeof parsed.model === 'string' ? parsed.model : 'fake';
    const streaming = wire === 'ollama' ? parsed.stream !== false : parsed.stream === true;
    const content = state.tokens.join('');
    // OpenAI function calling: with `tools` and no tool result yet, the model calls the first tool
    const lastMessage = parsed.messages?.at(-1);
    const toolName = wire === 'openai' && lastMessage?.role !== 'tool' ? parsed.tools?.[0]?.function?.name : undefined;
    if (wire === 'openai' && toolName !== undefined) {
      const args = state.toolArguments;
      if (!streaming) {
        const doc = { id: 'chatcmpl-t', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: toolName, arguments: args } }] }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: unknown, finish: string | null): string => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_fake_1', type: 'function', function: { name: toolName, arguments: '' } }] }, null));
      const half = Math.ceil(args.length / 2);
      for (const piece of [args.slice(0, half), args.slice(half)]) {
        if (state.chunkDelayMs > 0) await sleep(state.chunkDelayMs);
        res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null));
      }
      res.write(chunk({}, 'tool_calls'));
      res.end('data: [DONE]\n\n');
      return;
    }
    // after a tool result the fake model answers with it
    const tokens = wire === 'openai' && lastMessage?.role === 'tool' && typeof lastMessage.content === 'string' ? ['tool said: ', lastMessage.content] : state.tokens;
    const reply = tokens.join('');
    if (!streaming) {
      if (mode.kind === 'fail-mid-stream') {
        res.writeHead(500).end(SECRET_ERROR_TEXT);
        return;
      }
      const doc =
        wire === 'openai'
          ? { id: 'chatcmpl-1', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }
          : wire === 'anthropic'
            ? { id: 'msg_1', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: content }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 4 } }
            : { model, message: { role: 'assistant', content }, done: true, prompt_eval_count: 3, eval_count: 4 };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
      return;
    }
    res.writeHead(200, { 'content-type': wire === 'ollama' ? 'application/x-ndjson' : 'text/event-stream' });
    const frame = (obj: unknown, event?: string): string =>
      wire === 'ollama' ? `${JSON.stringify(obj)}\n` : `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(obj)}\n\n`;
    const delta = (text: string): string =>
      wire === 'openai'
        ? frame({ id: 'c1', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })
        : wire === 'anthropic'
          ? frame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta')
          : frame({ model, message: { role: 'assistant', content: text }, done: false });
    if (wire === 'anthropic') {
      res.write(frame({ type: 'message_start', message: { id: 'msg_1', role: 'assistant', model, content: [], usage: { input_tokens: 3, output_tokens: 0 } } }, 'message_start'));
      res.write(frame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'));
      res.write(': keep-alive comment\n\n');
    }
    if (mode.kind === 'huge') {
      const big = 'x'.repeat(60_000);
      for (let i = 0; i < 2000 && !res.destroyed; i++) {
        if (!res.write(delta(big))) await new Promise<void>((r) => res.once('drain', r).once('close', r));
      }
      res.end();
      return;
    }
    let sent = 0;
    for (const token of tokens) {
      if (res.destroyed) return;
      if (state.chunkDelayMs > 0) await sleep(state.chunkDelayMs);
      res.write(delta(token));
      sent += 1;
      if (mode.kind === 'fail-mid-stream' && sent === 2) {
        await sleep(20);
        res.socket?.destroy();
        return;
      }
      if (mode.kind === 'error-event' && sent === 1) {
        const err = { type: 'error', error: { type: 'overloaded_error', message: SECRET_ERROR_TEXT } };
        res.end(wire === 'openai' ? frame({ error: err.error }) : wire === 'anthropic' ? frame(err, 'error') : frame({ error: SECRET_ERROR_TEXT }));
        return;
      }
    }
    if (res.destroyed) return;
    if (wire === 'openai') {
      res.write(frame({ id: 'c1', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }));
      res.end('data: [DONE]\n\n');
    } else if (wire === 'anthropic') {
      res.write(frame({ type: 'content_block_stop', index: 0 }, 'content_block_stop'));
      res.write(frame({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4 } }, 'message_delta'));
      res.end(frame({ type: 'message_stop' }, 'message_stop'));
    } else {
      res.end(frame({ model, message: { role: 'assistant', content: '' }, done: true, prompt_eval_count: 3, eval_count: 4 }));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}
