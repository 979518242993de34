/**
 * The process entry: the only place that reads the environment, listens, and handles
 * signals. Bad config stops the start with every problem listed.
 */
import { parseConfig } from './config.ts';
import { openGateway } from './gateway.ts';
import { createLogger } from './logger.ts';

const parsed = parseConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(`palisade: invalid configuration:\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(2);
}
const { config } = parsed;
const logger = createLogger(config.logLevel);
for (const w of parsed.warnings) logger.warn(w);

process.on('unhandledRejection', (reason) => {
  logger.error('unhandled rejection', { error: reason instanceof Error ? reason.message : String(reason) });
});

// provider keys may also come from the conventional variables (after keys stored by an admin)
const keyEnv = {
  OPENAI_API_KEY: process.env['OPENAI_API_KEY'],
  ANTHROPIC_API_KEY: process.env['ANTHROPIC_API_KEY'],
  OPENROUTER_API_KEY: process.env['OPENROUTER_API_KEY'],
};
let gateway: Awaited<ReturnType<typeof openGateway>>;
try {
  gateway = await openGateway(config, { logger, keyEnv, print: (line) => process.stderr.write(`${line}\n`) });
} catch (error) {
  // e.g. an invalid tool manifest or an unreadable key file: say what, not a stack
  process.stderr.write(`palisade: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
const server = gateway.app.listen(config.port, config.host, () => {
  const addr = server.address();
  const where = typeof addr === 'object' && addr !== null ? `${addr.address}:${addr.port}` : String(addr);
  logger.info('palisade listening', { address: where, data_dir: config.dataDir });
});
server.headersTimeout = 30_000;
server.requestTimeout = 120_000;
server.on('error', (error) => {
  logger.error('server error', { error: error.message });
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info('shutting down', { signal });
  const force = setTimeout(() => {
    logger.error('shutdown timed out; exiting');
    process.exit(1);
  }, 15_000);
  force.unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await gateway.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
