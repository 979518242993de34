/**
 * The gateway under test, in its own process (the load generator must not share its event
 * loop): the production openGateway + Express app on 127.0.0.1:<random>, configured from the
 * PALISADE_* environment exactly as main.ts does. The per-agent rate limit comes from the
 * documented PALISADE_AGENT_RATE_LIMIT (bench.ts sets it to the maximum); the circuit breaker
 * and the login limiter, which have no setting, are raised here so the benchmark measures the
 * request path rather than the limiters answering 429/503. Prints READY <port>.
 */
import { parseConfig, type Config } from '../../agent-gateway/config.ts';
import { openGateway } from '../../agent-gateway/gateway.ts';
import { createLogger } from '../../agent-gateway/logger.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge } from 'prom-client';

const parsed = parseConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(`bench gateway: invalid configuration:\n${parsed.problems.join('\n')}\n`);
  process.exit(2);
}
const UNLIMITED = 1_000_000_000;
const config: Config = {
  ...parsed.config,
  governance: { ...parsed.config.governance, breakerThreshold: UNLIMITED },
  auth: { ...parsed.config.auth, loginLimitPerClient: UNLIMITED, loginLimitPerUsername: UNLIMITED },
};
const logger = createLogger(config.logLevel, (line) => process.stderr.write(line));
const gateway = await openGateway(config, { logger, print: () => undefined });
// event-loop delay of this process, as bench-only gauges on the gateway's /metrics: each scrape
// answers the delay since the previous scrape and starts a new window (bench.ts scrapes right
// before and right after each timed case)
const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();
let eldWindow = { p50: 0, p99: 0, max: 0 };
new Gauge({
  name: 'bench_event_loop_delay_seconds', help: 'bench only: event-loop delay since the previous scrape', labelNames: ['q'],
  registers: [gateway.ctx.metrics.registry],
  collect() {
    eldWindow = { p50: eld.percentile(50) / 1e9, p99: eld.percentile(99) / 1e9, max: eld.max / 1e9 };
    eld.reset();
    for (const [q, v] of Object.entries(eldWindow)) this.set({ q }, Number.isFinite(v) ? v : 0);
  },
});
const server = gateway.app.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`READY ${typeof addr === 'object' && addr !== null ? addr.port : 0}\n`);
});
server.headersTimeout = 30_000;
server.requestTimeout = 120_000;
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close(() => {
    void gateway.close().then(() => process.exit(0));
  });
});
