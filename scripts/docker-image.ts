/**
 * Builds the Palisade worker image (FROM scratch: node + its libraries + the worker runtime)
 * against the local Docker engine. Never pulls. Prints the tag; exits 1 when the build fails.
 * Usage: node scripts/docker-image.ts [--force]
 */
import Docker from 'dockerode';
import { ensureWorkerImage } from '../sandbox/docker/image.ts';

const docker = new Docker();
const result = await ensureWorkerImage(docker, process.argv.includes('--force'));
if (!result.ok) {
  process.stderr.write(`palisade worker image: ${result.reason}\n`);
  process.exit(1);
}
process.stdout.write(`${result.tag} ${result.built ? 'built' : 'already present'}\n`);
