/**
 * The first content frame of a chat stream leaves at once (issue 23). Node's http response
 * corks its socket on a write and uncorks on the next tick; when a burst of upstream events is
 * already buffered, the whole burst is re-framed in one microtask chain and the first token would
 * wait for the last. `SseWriter.flush()` uncorks, and the pump calls it once, after the first
 * delta or tool call.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { streamOpenAiCompatible, streamPalisadeChat } from '../../../providers/chat-sse.ts';
import { openSse, type SseWriter } from '../../../providers/sse.ts';
import type { ChatEvent as StreamEvent } from '../../../providers/types.ts';

/** A writer that records the order of its calls. */
function recordingWriter(): { writer: SseWriter; calls: string[] } {
  const calls: string[] = [];
  const writer: SseWriter = {
    signal: new AbortController().signal,
    closed: false,
    data: (v) => { calls.push(`data:${JSON.stringify(v).includes('"t0') ? 't0' : JSON.stringify(v).includes('"t1') ? 't1' : 'other'}`); return true; },
    dataText: (t) => { calls.push(`text:${t}`); return true; },
    event: (n) => { calls.push(`event:${n}`); return true; },
    drained: async () => { calls.push('drained'); },
    flush: () => { calls.push('flush'); },
    end: () => { calls.push('end'); },
    setTerminalFrame: () => {},
  };
  return { writer, calls };
}

async function* burst(): AsyncGenerator<StreamEvent> {
  yield { type: 'delta', text: 't0 ' };
  yield { type: 'delta', text: 't1 ' };
  yield { type: 'delta', text: 't2 ' };
  yield { type: 'done', content: 't0 t1 t2 ' };
}

for (const [name, run] of [
  ['OpenAI frames', (w: SseWriter) => streamOpenAiCompatible(burst(), w, { id: 'chatcmpl-x', model: 'm', created: 1 })],
  ['Palisade frames', (w: SseWriter) => streamPalisadeChat(burst(), w, () => ({ session_id: 's' }))],
] as const) {
  test(`${name}: flush once, right after the first delta frame`, async () => {
    const { writer, calls } = recordingWriter();
    const outcome = await run(writer);
    assert.equal(outcome.ok, true);
    assert.equal(calls.filter((c) => c === 'flush').length, 1);
    const first = calls.findIndex((c) => c === 'data:t0');
    assert.ok(first >= 0, calls.join(','));
    assert.equal(calls[first + 1], 'flush', calls.join(','));
    assert.ok(calls.indexOf('data:t1') > first + 1);
  });
}

test('a tool-call stream flushes after its first tool-call frame', async () => {
  const { writer, calls } = recordingWriter();
  async function* tools(): AsyncGenerator<StreamEvent> {
    yield { type: 'tool_call', index: 0, id: 'c1', name: 'f', arguments: '{' };
    yield { type: 'tool_call', index: 0, arguments: '}' };
    yield { type: 'done', content: '', finishReason: 'tool_calls' };
  }
  await streamOpenAiCompatible(tools(), writer, { id: 'chatcmpl-x', model: 'm', created: 1 });
  assert.deepEqual(calls.slice(0, 2), ['data:other', 'flush']);
  assert.equal(calls.filter((c) => c === 'flush').length, 1);
});

let server: Server;
let seen: { corkedAfterWrite: number; corkedAfterFlush: number; corkedAfterSecond: number } | undefined;
before(async () => {
  server = createServer((req, res) => {
    const w = openSse(req, res);
    w.data({ n: 1 });
    const corkedAfterWrite = res.socket?.writableCorked ?? -1;
    w.flush();
    const corkedAfterFlush = res.socket?.writableCorked ?? -1;
    w.data({ n: 2 });
    seen = { corkedAfterWrite, corkedAfterFlush, corkedAfterSecond: res.socket?.writableCorked ?? -1 };
    w.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

test('openSse flush() uncorks the socket the response corked, and later writes cork again until the tick ends', async () => {
  const port = (server.address() as AddressInfo).port;
  const text = await new Promise<string>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (c: string) => { b += c; }).on('end', () => resolve(b));
    }).on('error', reject).end();
  });
  assert.match(text, /data: \{"n":1\}\n\n[\s\S]*data: \{"n":2\}\n\n/);
  assert.ok(seen !== undefined);
  assert.ok(seen.corkedAfterWrite > 0, 'the http response corks its socket on write (what flush is for)');
  assert.equal(seen.corkedAfterFlush, 0);
  assert.ok(seen.corkedAfterSecond > 0);
});

test('openSse leaves the response headers to the next loop turn: nothing is written to the socket while the caller starts the provider call, and the headers still arrive with no frame', async () => {
  let writtenInOpen = -1;
  let release: () => void = () => {};
  const quiet = createServer((req, res) => {
    const before = res.socket?.bytesWritten ?? 0;
    const w = openSse(req, res);
    writtenInOpen = (res.socket?.bytesWritten ?? 0) - before + (res.socket?.writableLength ?? 0);
    release = () => w.end();
  });
  await new Promise<void>((r) => quiet.listen(0, '127.0.0.1', r));
  try {
    const port = (quiet.address() as AddressInfo).port;
    // no frame is ever written before the client has the 200 and its event-stream type
    const status = await new Promise<{ code: number | undefined; type: string | undefined }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        resolve({ code: res.statusCode, type: res.headers['content-type'] });
        res.resume();
      }).on('error', reject).end();
    });
    assert.equal(status.code, 200);
    assert.match(status.type ?? '', /^text\/event-stream/);
    assert.equal(writtenInOpen, 0, 'openSse itself wrote to the socket');
  } finally {
    release();
    await new Promise<void>((r) => quiet.close(() => r()));
  }
});
