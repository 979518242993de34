/**
 * The gateway side of an egress server's tunnel (agent-gateway/upstream/egress.ts): one folder
 * per server under <data dir>/mcp-egress holding only proxy.sock, modes that let uid 65534 connect
 * and nothing more, each decision audited as mcp_server.egress, the folder removed on close.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { EGRESS_SOCKETS_DIR, openServerTunnel, tunnelEvent } from '../../../agent-gateway/upstream/egress.ts';
import { silentLogger } from '../../../agent-gateway/logger.ts';
import type { SecurityEvent } from '../../../agent-gateway/events.ts';
import { createEgress } from '../../../providers/egress/dispatcher.ts';

test('tunnelEvent: allowed is outcome ok, a refusal is denied with its code and reason', () => {
  assert.deepEqual(tunnelEvent({ server: 'web', host: 'api.example.com', port: 443, allowed: true }), {
    type: 'mcp_server.egress', actor: 'system', outcome: 'ok', data: { server: 'web', host: 'api.example.com', port: 443 },
  });
  assert.deepEqual(tunnelEvent({ server: 'web', host: '10.0.0.1', port: 80, allowed: false, code: 'EGR_ERR_DENIED', reason: 'EGRESS_NOT_ALLOWLISTED: x' }).data,
    { server: 'web', host: '10.0.0.1', port: 80, code: 'EGR_ERR_DENIED', reason: 'EGRESS_NOT_ALLOWLISTED: x' });
});

test('openServerTunnel: its own folder with only the socket (0711 / 0666), a leftover folder replaced, denials audited, removed on close', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'palisade-upstream-egress-'));
  const stale = path.join(dataDir, EGRESS_SOCKETS_DIR, 'web');
  mkdirSync(stale, { recursive: true });
  writeFileSync(path.join(stale, 'left-by-a-crash'), 'x');
  const events: SecurityEvent[] = [];
  const egress = createEgress({ allowlist: [], timeoutMs: 1000, maxResponseBytes: 1024 });
  const t = await openServerTunnel({ dataDir, server: 'web', policy: egress, events: { record: async (e) => { events.push(e); } }, logger: silentLogger });
  try {
    assert.equal(t.socketDir, stale);
    assert.deepEqual(readdirSync(t.socketDir), ['proxy.sock']);
    assert.equal(statSync(path.join(dataDir, EGRESS_SOCKETS_DIR)).mode & 0o777, 0o711);
    assert.equal(statSync(t.socketDir).mode & 0o777, 0o711);
    assert.equal(statSync(path.join(t.socketDir, 'proxy.sock')).mode & 0o777, 0o666);
    // an empty allowlist: the server registers, every tunnel is refused (and audited)
    const text = await new Promise<string>((resolve) => {
      const s = net.connect(path.join(t.socketDir, 'proxy.sock'), () => s.write('CONNECT api.example.com:443 HTTP/1.1\r\n\r\n'));
      const got: Buffer[] = [];
      s.on('data', (d) => got.push(d));
      s.on('close', () => resolve(Buffer.concat(got).toString()));
    });
    assert.match(text, /^HTTP\/1\.1 403 [^]*EGR_ERR_DENIED: EGRESS_NOT_ALLOWLISTED\n$/);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'mcp_server.egress');
    assert.equal(events[0]!.outcome, 'denied');
    assert.deepEqual({ ...events[0]!.data, reason: undefined }, { server: 'web', host: 'api.example.com', port: 443, code: 'EGR_ERR_DENIED', reason: undefined });
  } finally {
    await t.close();
    await egress.close();
  }
  assert.equal(existsSync(t.socketDir), false, 'the folder and socket are gone');
  await t.close(); // twice is harmless
  rmSync(dataDir, { recursive: true, force: true });
});
