/**
 * Server CPU per proxied non-streaming chat: a real gateway (test/support/gateway.ts) and the
 * fake OpenAI provider in this process, autocannon (10 connections) posting
 * /v1/chat/completions; prints requests, req/s, process CPU µs per request (user + system, so
 * the fake and the load generator are included: compare runs, not absolute values) and p50.
 * CPU time is far less sensitive than req/s to other jobs on the machine.
 * Run: node_modules/.bin/node scripts/bench-chat-cpu.ts [seconds=6]
 */
import { call, loginAdmin, startGateway } from '../test/support/gateway.ts';
import { startFakeProvider } from '../test/support/fake-provider.ts';
import { runLoad } from './bench/load.ts';

const fake = await startFakeProvider();
setInterval(() => {
  fake.received.length = 0;
}, 500).unref();
const gw = await startGateway({ env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OPENAI_BASE_URL: fake.origin, PALISADE_PROVIDERS: 'openai', PALISADE_AGENT_RATE_LIMIT: '1000000/100000' } });
const admin = (await loginAdmin(gw.url)).token;
await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: 'sk-bench-key-000000', ttl_days: 1 } });
const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'bench' }] });
const run = (seconds: number) => runLoad({ url: `${gw.url}/v1/chat/completions`, method: 'POST', headers: { authorization: `Bearer ${admin}` }, body, connections: 10, durationSeconds: seconds, expectStatus: 200 });
await run(2);
const cpu0 = process.cpuUsage();
const r = await run(Number(process.argv[2] ?? 6));
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ requests: r.total, unexpected: r.unexpected, req_per_s: Math.round(r.reqPerSec), cpu_us_per_req: Math.round((cpu.user + cpu.system) / Math.max(1, r.total)), p50_ms: r.p50Ms }));
await gw.stop(true);
await fake.close();
process.exit(0);
