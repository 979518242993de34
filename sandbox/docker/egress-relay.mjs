// The container side of an upstream MCP server's egress (issue 16 item 2: network
// "egress-allowlist"). Loaded with `node --import` before the server's own entry file, inside a
// container whose network is "none" (loopback only). It listens on 127.0.0.1:RELAY_PORT and
// relays every TCP connection, byte for byte, to the gateway's egress tunnel: the unix socket
// the gateway bind-mounts read-only at /run/palisade-egress/proxy.sock
// (providers/egress/tunnel.ts). It decides nothing: the tunnel answers each CONNECT with the
// gateway's allowlist, DNS and SSRF checks. The server reaches it through Node's own proxy
// support (HTTPS_PROXY / HTTP_PROXY = http://127.0.0.1:RELAY_PORT, NODE_USE_ENV_PROXY=1,
// set by sandbox/docker/mcp-container.ts).
//
// No dependencies, nothing written to stdout (stdout is the server's MCP channel), and the
// listener is unref'd so the relay never keeps the server alive on its own.
import net from 'node:net';

const SOCKET = '/run/palisade-egress/proxy.sock';
const RELAY_PORT = 3128; // keep in sync with EGRESS_RELAY_PORT in sandbox/docker/mcp-egress.ts

const relay = net.createServer((client) => {
  const tunnel = net.connect(SOCKET);
  const close = () => {
    client.destroy();
    tunnel.destroy();
  };
  client.on('error', close);
  tunnel.on('error', close);
  client.on('close', close);
  tunnel.on('close', close);
  client.pipe(tunnel);
  tunnel.pipe(client);
});
relay.on('error', (error) => {
  process.stderr.write(`palisade egress relay: ${String(error && error.code ? error.code : error).slice(0, 200)}\n`);
});
relay.listen({ host: '127.0.0.1', port: RELAY_PORT, exclusive: true });
relay.unref();
