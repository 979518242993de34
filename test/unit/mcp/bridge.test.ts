/** The stdio bridge's pure decisions: which URL, which token, what a probe status means. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeToken, bridgeUrl, DEFAULT_MCP_URL, probeVerdict } from '../../../scripts/cli/mcp.ts';

test('url: default, PALISADE_PORT, explicit; https anywhere, plain http only to loopback', () => {
  const ok = (raw: string | undefined, env: Record<string, string> = {}) => {
    const r = bridgeUrl(raw, env);
    assert.equal(r.ok, true, String(raw));
    return r.ok ? r.url.href : '';
  };
  assert.equal(ok(undefined), DEFAULT_MCP_URL);
  assert.equal(ok(undefined, { PALISADE_PORT: '9000' }), 'http://127.0.0.1:9000/mcp');
  assert.equal(ok(undefined, { PALISADE_PORT: 'x; rm' }), DEFAULT_MCP_URL);
  assert.equal(ok('http://localhost:8080/mcp'), 'http://localhost:8080/mcp');
  assert.equal(ok('http://[::1]:8080/mcp'), 'http://[::1]:8080/mcp');
  assert.equal(ok('https://gateway.example/mcp'), 'https://gateway.example/mcp');
  for (const bad of ['http://gateway.example/mcp', 'http://10.0.0.2:8080/mcp', 'ftp://127.0.0.1/mcp', 'file:///etc/passwd', 'not a url', 'http://u:p@127.0.0.1/mcp']) {
    assert.equal(bridgeUrl(bad, {}).ok, false, bad);
  }
});

test('token: from PALISADE_AGENT_TOKEN only; empty, whitespace-laden or huge is refused', () => {
  assert.deepEqual(bridgeToken({ PALISADE_AGENT_TOKEN: ' pat_abc ' }), { ok: true, token: 'pat_abc' });
  for (const env of [{}, { PALISADE_AGENT_TOKEN: '' }, { PALISADE_AGENT_TOKEN: 'a b' }, { PALISADE_AGENT_TOKEN: 'a\nb' }, { PALISADE_AGENT_TOKEN: 'x'.repeat(5000) }]) {
    assert.equal(bridgeToken(env).ok, false, JSON.stringify(env).slice(0, 40));
  }
});

test('probe status: 2xx relays; 401/403 are refusals (exit 1); 404 and others are runtime errors (exit 3)', () => {
  assert.deepEqual(probeVerdict(200, 'u'), { ok: true });
  const v401 = probeVerdict(401, 'u');
  assert.ok(!v401.ok && v401.exit === 1 && /rejected PALISADE_AGENT_TOKEN/.test(v401.message));
  const v403 = probeVerdict(403, 'u');
  assert.ok(!v403.ok && v403.exit === 1 && /agent token/.test(v403.message));
  const v404 = probeVerdict(404, 'u');
  assert.ok(!v404.ok && v404.exit === 3 && /\/mcp/.test(v404.message));
  const v500 = probeVerdict(500, 'u');
  assert.ok(!v500.ok && v500.exit === 3);
});

test('client snippets: the stdio bridge with absolute paths and the token in env only; HTTP with the header', async () => {
  const { mcpClientConfig, mcpSnippets } = await import('../../../scripts/cli/mcp.ts');
  const input = { token: "pat_it's", url: 'http://127.0.0.1:8080/mcp', node: '/opt/p/node_modules/.bin/node', cli: '/opt/p/scripts/cli.ts' };
  const c = mcpClientConfig(input);
  assert.deepEqual(c.stdio, { command: '/opt/p/node_modules/.bin/node', args: ['/opt/p/scripts/cli.ts', 'mcp', '--url', 'http://127.0.0.1:8080/mcp'], env: { PALISADE_AGENT_TOKEN: "pat_it's" } });
  assert.deepEqual(c.http, { type: 'http', url: 'http://127.0.0.1:8080/mcp', headers: { Authorization: "Bearer pat_it's" } });
  const text = mcpSnippets(input);
  assert.match(text, /"mcpServers"/);
  assert.match(text, /"servers"/);
  // the shell line survives a quote in the token
  assert.ok(text.includes(`--header 'Authorization: Bearer pat_it'\\''s'`), text);
});
