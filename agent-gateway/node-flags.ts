/**
 * The V8 flags the gateway process runs with, wherever it is started: `npm start` (package.json
 * repeats them; test/unit/gateway/node-flags.test.ts checks it), `palisade serve` (which
 * re-runs itself with them) and the benchmark's gateway child.
 *
 * --max-semi-space-size=16: V8 grows the young generation of a busy process up to 2 x 64 MiB
 * and keeps it; measured under a steady echo load, the gateway's RSS stepped from 210 to 260 MiB
 * after about five minutes while the old generation stayed at 33 MiB (no leak, just the young
 * generation doubling). Capped at 16 MiB per semi-space the RSS stays flat and starts lower;
 * CPU per call was the same within noise (8 MiB cost about 9% more).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=16']);
