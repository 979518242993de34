/**
 * `npm run bench:chat`: the chat proxy against Portkey's gateway and the direct call, alone
 * (scripts/bench/chat-peers.ts; `npm run bench` runs the same as its chat-peers group).
 * Usage: node scripts/bench-chat-peers.ts [--seconds 8] [--runs 40] [--tokens 50] [--rounds 3] [--json]
 *        [--profile DIR]   (writes a --cpu-prof of the Palisade gateway to DIR)
 */
import { parseArgs } from 'node:util';
import { formatChatPeers, runChatPeers } from './bench/chat-peers.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' }, runs: { type: 'string', default: '40' }, tokens: { type: 'string', default: '50' }, rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false }, profile: { type: 'string' },
  },
});
const result = await runChatPeers({
  seconds: Number(values.seconds), runs: Number(values.runs), tokens: Number(values.tokens), rounds: Number(values.rounds),
  ...(values.profile === undefined ? {} : { profile: values.profile }),
});
process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatChatPeers(result).join('\n')}\n`);
