/** The CLI reads the same PALISADE_* environment as the gateway; bad config is exit 2 with every problem. */
import { parseConfig, type Config } from '../../agent-gateway/config.ts';
import { CliError, EXIT, type Io } from './types.ts';

export function loadConfig(io: Io): Config {
  const parsed = parseConfig(io.env);
  if (!parsed.ok) {
    throw new CliError(EXIT.USAGE, `invalid configuration:\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return parsed.config;
}
