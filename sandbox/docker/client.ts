/**
 * The Docker client, loaded on first use: a gateway that never talks to Docker (the default
 * isolate backend, no upstream MCP server) does not load dockerode and its dependencies at
 * start (about 14 MiB of RSS and 130 ms measured on this machine kind, issue 12 item 5).
 */
import { createRequire } from 'node:module';
import type Docker from 'dockerode';

const load = createRequire(import.meta.url);

export function newDockerClient(options?: Docker.DockerOptions): Docker {
  const DockerClient = load('dockerode') as typeof Docker;
  return new DockerClient(options);
}
