/**
 * The floor of the chat-peers benchmark (issue 23): the least a Node proxy can do for one
 * chat, in its own process on 127.0.0.1, so the bench shows which part of Palisade's added
 * latency any Node gateway pays here and which part is Palisade's own work.
 *   - node:http server, the JSON body read and parsed (a proxy must read the model and stream
 *     fields), forwarded through one pooled keep-alive undici Agent (as Palisade's egress
 *     dispatcher does) to FLOOR_UPSTREAM;
 *   - non-streaming: the upstream JSON parsed and re-serialised to the client;
 *   - streaming: every upstream chunk written on as it arrives;
 *   - with FLOOR_AUDIT_FILE set, every non-streaming answer waits until one ~500-byte line about
 *     it is appended to that file and fdatasync'd, with group commit (concurrent lines share
 *     one fdatasync), the durability Palisade's audit log gives before it answers. Nothing else:
 *     no auth, no checks, no encryption, no hash chain.
 * No product code is imported: this is a yardstick, not a second gateway.
 * Env: FLOOR_UPSTREAM (origin, required), FLOOR_STREAM_UPSTREAM (origin for `stream: true`
 * requests, default FLOOR_UPSTREAM), FLOOR_AUDIT_FILE (optional). Prints READY <port>.
 */
import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent, request } from 'undici';

const upstream = process.env['FLOOR_UPSTREAM'];
if (upstream === undefined) throw new Error('FLOOR_UPSTREAM is required');
const streamUpstream = process.env['FLOOR_STREAM_UPSTREAM'] ?? upstream;
const auditPath = process.env['FLOOR_AUDIT_FILE'];
const agent = new Agent({ connections: 64 });

/** append + fdatasync with group commit: lines queued in one loop turn share one fdatasync */
function groupCommit(path: string): { append(line: string): Promise<void>; close(): void } {
  const fd = openSync(path, 'a', 0o600);
  let queue: Array<{ line: string; done: (e: Error | null) => void }> = [];
  let running = false;
  const loop = (): void => {
    if (queue.length === 0) {
      running = false;
      return;
    }
    setImmediate(() => {
      const batch = queue;
      queue = [];
      try {
        writeSync(fd, batch.map((b) => b.line).join(''));
      } catch (error) {
        for (const b of batch) b.done(error as Error);
        loop();
        return;
      }
      fdatasync(fd, (error) => {
        for (const b of batch) b.done(error);
        loop();
      });
    });
  };
  return {
    append: (line) => new Promise((resolve, reject) => {
      queue.push({ line, done: (e) => (e ? reject(e) : resolve()) });
      if (!running) {
        running = true;
        loop();
      }
    }),
    close: () => closeSync(fd),
  };
}
const audit = auditPath === undefined ? undefined : groupCommit(auditPath);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req);
  const body = JSON.parse(text) as { model?: unknown; stream?: unknown; messages?: unknown[] };
  const up = await request(`${body.stream === true ? streamUpstream : upstream}${req.url ?? '/'}`, {
    dispatcher: agent, method: 'POST', body: text,
    headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
  });
  if (body.stream === true) {
    res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'text/event-stream') });
    res.socket?.setNoDelay(true);
    for await (const chunk of up.body) res.write(chunk);
    res.end();
    return;
  }
  const doc = await up.body.json();
  const out = JSON.stringify(doc);
  if (audit !== undefined) {
    const line = JSON.stringify({ ts: new Date().toISOString(), type: 'chat.complete', model: body.model, messages: body.messages?.length ?? 0, status: up.statusCode, pad: 'x'.repeat(300) });
    await audit.append(`${line}\n`);
  }
  res.writeHead(up.statusCode, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(out)) }).end(out);
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void agent.close().finally(() => {
    audit?.close();
    process.exit(0);
  });
});
