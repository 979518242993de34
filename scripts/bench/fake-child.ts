/**
 * The fake OpenAI-compatible provider (test/support/fake-provider.ts) in its own process for
 * the chat benchmark, so the load generator and the proxies under test do not share its event
 * loop. Env: FAKE_TOKENS (count, default 4), FAKE_CHUNK_DELAY_MS (default 0). Prints READY <port>.
 */
import { startFakeProvider } from '../../test/support/fake-provider.ts';

const fake = await startFakeProvider();
const n = Number(process.env['FAKE_TOKENS'] ?? 4);
fake.tokens = Array.from({ length: n }, (_, i) => `t${i} `);
fake.chunkDelayMs = Number(process.env['FAKE_CHUNK_DELAY_MS'] ?? 0);
// the fake records every request; a benchmark sends hundreds of thousands
const received = fake.received;
setInterval(() => {
  received.length = 0;
}, 1_000).unref();
process.stdout.write(`READY ${fake.port}\n`);
process.on('SIGTERM', () => {
  void fake.close().then(() => process.exit(0));
});
