/**
 * Delegation over the real gateway (issue 14 item 5): POST /agents/delegate with an agent
 * token issues a narrowed child (tools ⊆ the parent's, TTL ≤ the parent's remaining, depth ≤ 4);
 * revoking a parent makes every descendant's next request fail with 401; `delegated_from`
 * rules match a child; the chain is one principal for taint.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { EventSink } from '../../agent-gateway/events.ts';
import { call, createAgent, loginAdmin, startGateway, tempDir, type TestGateway } from '../support/gateway.ts';

function fixtureTool(root: string, name: string, tags: string[]): void {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    name, description: `fixture ${name}`, risk: 'low', requires_approval: false, tags,
    input_schema: { type: 'object', additionalProperties: false, properties: { text: { type: 'string' } } },
    output_schema: { type: 'object' },
  }));
  writeFileSync(join(dir, 'handler.js'), `return { tool: ${JSON.stringify(name)} };\n`);
}

function toolsDir(): string {
  const root = tempDir('palisade-delegation-tools-');
  fixtureTool(root, 'vault.read', ['reads:secret']);
  fixtureTool(root, 'web.post', ['net:egress', 'writes:external']);
  fixtureTool(root, 'note.read', []);
  fixtureTool(root, 'note.list', []);
  return root;
}

const OPEN = { rules: [{ id: 'open', effect: 'allow', agents: ['*'], tools: ['*'] }] };

async function setPolicy(gw: TestGateway, admin: string, doc: unknown): Promise<void> {
  const res = await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: doc });
  assert.equal(res.status, 200, res.text);
}

function delegate(gw: TestGateway, token: string, agentId: string, tools: string[], ttl: number) {
  return call(gw.url, 'POST', '/agents/delegate', { token, body: { agent_id: agentId, tools, ttl_seconds: ttl } });
}

function run(gw: TestGateway, token: string, tool: string) {
  return call(gw.url, 'POST', '/tools/call', { token, body: { tool, args: { text: 'x' } } });
}

test('delegate: a narrower child is issued; wider tools, a longer TTL, depth 5 and a taken id are refused', async () => {
  let clock = Date.parse('2026-12-02T12:00:00Z');
  const gw = await startGateway({ env: { PALISADE_TOOLS_DIR: toolsDir() }, now: () => clock });
  try {
    const admin = (await loginAdmin(gw.url)).token;
    await setPolicy(gw, admin, OPEN);
    const lead = await createAgent(gw.url, admin, 'lead', ['note.*', 'vault.read'], 3600);

    const ok = await delegate(gw, lead, 'researcher', ['note.read', 'note.l*'], 600);
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.chain, ['lead']);
    assert.equal(ok.body.agent_id, 'researcher');
    assert.equal(ok.body.expires_at, new Date(clock + 600_000).toISOString());
    const child = String(ok.body.token);
    assert.equal((await run(gw, child, 'note.read')).status, 200);
    assert.equal((await run(gw, child, 'vault.read')).status, 403, 'the child has only its own tools');

    // wider or undecidable globs
    for (const tools of [['*'], ['no*'], ['note.read', 'web.post'], ['*.read'], ['note.?ead', 'vault.*']]) {
      const res = await delegate(gw, lead, 'wide', tools, 60);
      assert.equal(res.status, 403, `${JSON.stringify(tools)}: ${res.text}`);
      assert.equal(res.body.code, 'GW_ERR_DELEGATION_SCOPE');
      assert.ok(Array.isArray(res.body.wider) && res.body.wider.length > 0);
    }
    // a child cannot delegate wider than itself, though its parent could
    const wider = await delegate(gw, child, 'grandchild', ['note.*'], 60);
    assert.equal(wider.status, 403, wider.text);
    assert.deepEqual(wider.body.wider, ['note.*']);

    // TTL: refused (not clamped) past the parent's remaining lifetime
    clock += 100_000; // the child has 500 s left, the lead 3500 s
    const long = await delegate(gw, lead, 'long', ['note.read'], 3501);
    assert.equal(long.status, 403, long.text);
    assert.equal(long.body.code, 'GW_ERR_DELEGATION_TTL');
    assert.equal(long.body.max_ttl_seconds, 3500);
    const longer = await delegate(gw, child, 'long', ['note.read'], 501);
    assert.equal(longer.body.code, 'GW_ERR_DELEGATION_TTL');
    assert.equal((await delegate(gw, child, 'exact', ['note.read'], 500)).status, 201, 'exactly the remaining TTL is allowed');

    // depth: lead → d1 → d2 → d3 → d4 (4 ancestors) is allowed, a fifth level is not
    let token = lead;
    for (const id of ['d1', 'd2', 'd3', 'd4']) {
      const res = await delegate(gw, token, id, ['note.read'], 300);
      assert.equal(res.status, 201, `${id}: ${res.text}`);
      token = String(res.body.token);
    }
    const deep = await delegate(gw, token, 'd5', ['note.read'], 60);
    assert.equal(deep.status, 403, deep.text);
    assert.equal(deep.body.code, 'GW_ERR_DELEGATION_DEPTH');
    assert.equal(deep.body.max_depth, 4);

    assert.equal((await delegate(gw, lead, 'researcher', ['note.read'], 60)).status, 409, 'the id exists');
    assert.equal((await delegate(gw, lead, 'lead', ['note.read'], 60)).status, 409, 'a parent cannot re-issue itself');
    assert.equal((await delegate(gw, lead, 'Bad:Id', ['note.read'], 60)).status, 422);
    const byAdmin = await delegate(gw, admin, 'x1', ['note.read'], 60);
    assert.equal(byAdmin.status, 403, 'delegation needs an agent token');
    assert.equal(byAdmin.body.code, 'GW_ERR_FORBIDDEN');

    // audit: the delegation and the child's calls carry the chain
    const audit = await call(gw.url, 'GET', '/admin/audit?limit=200', { token: admin });
    assert.equal(audit.status, 200, audit.text);
    const entries: Array<{ type: string; outcome: string; actor: string; data: Record<string, unknown> }> = audit.body.entries;
    const made = entries.find((e) => e.type === 'agent.delegate' && e.data['agent_id'] === 'd4');
    assert.ok(made, 'the delegation is audited');
    assert.equal(made.actor, 'agent:d3');
    assert.deepEqual(made.data['chain'], ['lead', 'd1', 'd2', 'd3']);
    const callLine = entries.find((e) => e.type === 'tool.call' && e.outcome === 'ok' && e.data['agent_id'] === 'researcher');
    assert.deepEqual(callLine?.data['chain'], ['lead']);
    assert.ok(!entries.some((e) => e.type === 'agent.delegate' && e.outcome === 'ok' && e.data['agent_id'] === 'd5'), 'a refused delegation creates nothing');
  } finally {
    await gw.stop(true);
  }
});

test('revoking a parent (DELETE or POST /admin/revoke) makes every descendant 401 on its next request; expiry too', async () => {
  let clock = Date.parse('2026-12-02T12:00:00Z');
  const gw = await startGateway({ env: { PALISADE_TOOLS_DIR: toolsDir() }, now: () => clock });
  try {
    const admin = (await loginAdmin(gw.url)).token;
    await setPolicy(gw, admin, OPEN);
    const lead = await createAgent(gw.url, admin, 'lead', ['note.*'], 3600);
    const tokens: Record<string, string> = { lead };
    let parent = lead;
    for (const id of ['c1', 'c2', 'c3']) {
      const res = await delegate(gw, parent, id, ['note.read'], 1800);
      assert.equal(res.status, 201, res.text);
      tokens[id] = parent = String(res.body.token);
    }
    const status = async (id: string) => (await call(gw.url, 'GET', '/tools', { token: String(tokens[id]) })).status;
    for (const id of ['lead', 'c1', 'c2', 'c3']) assert.equal(await status(id), 200, id);

    // revoking c2 by its token: c2 and c3 fail, lead and c1 keep working
    const rev = await call(gw.url, 'POST', '/admin/revoke', { token: admin, body: { token: tokens['c2'] } });
    assert.equal(rev.status, 200, rev.text);
    assert.equal(await status('c2'), 401);
    assert.equal(await status('c3'), 401, 'a grandchild of nothing is revoked');
    assert.equal(await status('c1'), 200);
    const run401 = await run(gw, String(tokens['c3']), 'note.read');
    assert.equal(run401.status, 401);
    assert.equal(run401.body.code, 'GW_ERR_INVALID_TOKEN');

    // deleting the root: every descendant fails, and re-creating the root id revives none
    const again = await delegate(gw, lead, 'c4', ['note.read'], 1800);
    tokens['c4'] = String(again.body.token);
    assert.equal((await call(gw.url, 'DELETE', '/admin/agents/lead', { token: admin })).status, 204);
    for (const id of ['lead', 'c1', 'c4']) assert.equal(await status(id), 401, id);
    await createAgent(gw.url, admin, 'lead', ['note.*'], 3600);
    for (const id of ['c1', 'c4']) assert.equal(await status(id), 401, `${id} stays revoked under a new agent named lead`);
    const list = await call(gw.url, 'GET', '/admin/agents', { token: admin });
    assert.deepEqual(list.body.agents.map((a: { agent_id: string }) => a.agent_id), ['lead'], 'descendants are deleted with their parent');

    // expiry: a child issued for the parent's whole remaining life fails once the parent expires
    const lead2 = await createAgent(gw.url, admin, 'lead2', ['note.*'], 120);
    const kid = await delegate(gw, lead2, 'kid', ['note.read'], 120);
    assert.equal(kid.status, 201, kid.text);
    tokens['kid'] = String(kid.body.token);
    assert.equal(await status('kid'), 200);
    clock += 120_000;
    assert.equal(await status('kid'), 401);
  } finally {
    await gw.stop(true);
  }
});

test('policy: a delegated_from rule matches the child, not its parent', async () => {
  const gw = await startGateway({ env: { PALISADE_TOOLS_DIR: toolsDir() } });
  try {
    const admin = (await loginAdmin(gw.url)).token;
    await setPolicy(gw, admin, {
      rules: [
        { id: 'research-no-writes', effect: 'deny', agents: ['*'], delegated_from: ['lead'], tools: ['web.post'] },
        { id: 'open', effect: 'allow', agents: ['*'], tools: ['*'] },
      ],
    });
    const lead = await createAgent(gw.url, admin, 'lead', ['note.read', 'web.post'], 3600);
    const res = await delegate(gw, lead, 'helper', ['note.read', 'web.post'], 600);
    assert.equal(res.status, 201, res.text);
    const child = String(res.body.token);
    assert.equal((await run(gw, lead, 'web.post')).status, 200, 'the parent is not delegated');
    const denied = await run(gw, child, 'web.post');
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.body.code, 'GW_ERR_POLICY_DENIED');
    assert.equal(denied.body.rule_id, 'research-no-writes');
    const fine = await run(gw, child, 'note.read');
    assert.equal(fine.status, 200);
    assert.deepEqual(fine.body.receipt.chain, ['lead'], 'the receipt names the chain');
  } finally {
    await gw.stop(true);
  }
});

test('taint: a secret read by the child blocks the parent\'s external write (one principal)', async () => {
  const gw = await startGateway({ env: { PALISADE_TOOLS_DIR: toolsDir() } });
  try {
    const admin = (await loginAdmin(gw.url)).token;
    await setPolicy(gw, admin, {
      ...OPEN,
      taint: [{ id: 'no-exfil', on: ['reads:secret'], block: ['writes:external'], window_seconds: 600 }],
    });
    const lead = await createAgent(gw.url, admin, 'lead', ['vault.read', 'web.post'], 3600);
    const other = await createAgent(gw.url, admin, 'other', ['web.post'], 3600);
    const res = await delegate(gw, lead, 'reader', ['vault.read'], 600);
    assert.equal(res.status, 201, res.text);
    const read = await run(gw, String(res.body.token), 'vault.read');
    assert.equal(read.status, 200, read.text);
    const blocked = await run(gw, lead, 'web.post');
    assert.equal(blocked.status, 403, blocked.text);
    assert.equal(blocked.body.rule_id, 'no-exfil');
    assert.equal(blocked.body.tainted_by, read.body.call_id);
    assert.equal((await run(gw, other, 'web.post')).status, 200, 'another principal is unaffected');
  } finally {
    await gw.stop(true);
  }
});

test('every refused delegation is audited with its reason code before it is answered; no audit line → 503 and nothing created', async () => {
  let failing = false;
  const wrapEvents = (real: EventSink): EventSink => ({
    record: (event) => (failing ? Promise.reject(new Error('disk full (injected)')) : real.record(event)),
  });
  const clock = Date.parse('2026-12-02T12:00:00Z');
  const gw = await startGateway({ env: { PALISADE_TOOLS_DIR: toolsDir() }, wrapEvents, now: () => clock });
  try {
    const admin = (await loginAdmin(gw.url)).token;
    await setPolicy(gw, admin, OPEN);
    const lead = await createAgent(gw.url, admin, 'lead', ['note.*'], 3600);
    const kid = await delegate(gw, lead, 'kid', ['note.read'], 600);
    assert.equal(kid.status, 201, kid.text);
    let token = String(kid.body.token);
    for (const [id, ttl] of [['k2', 500], ['k3', 400], ['k4', 300]] as const) {
      const res = await delegate(gw, token, id, ['note.read'], ttl);
      assert.equal(res.status, 201, res.text);
      token = String(res.body.token);
    }

    const refusals: Array<[string, () => Promise<{ status: number; body: { code: string } }>, number, string]> = [
      ['scope', () => delegate(gw, lead, 'wide', ['web.post'], 60), 403, 'GW_ERR_DELEGATION_SCOPE'],
      ['ttl', () => delegate(gw, lead, 'long', ['note.read'], 7200), 403, 'GW_ERR_DELEGATION_TTL'],
      ['depth', () => delegate(gw, token, 'k5', ['note.read'], 60), 403, 'GW_ERR_DELEGATION_DEPTH'],
      ['body', () => call(gw.url, 'POST', '/agents/delegate', { token: lead, body: { agent_id: 'Bad:Id', tools: ['note.read'], ttl_seconds: 60 } }), 422, 'GW_ERR_VALIDATION'],
      ['taken', () => delegate(gw, lead, 'kid', ['note.read'], 60), 409, 'GW_ERR_CONFLICT'],
      ['admin token', () => delegate(gw, admin, 'by-admin', ['note.read'], 60), 403, 'GW_ERR_FORBIDDEN'],
    ];
    for (const [what, send, status, code] of refusals) {
      const res = await send();
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, code, what);
    }
    const audit = await call(gw.url, 'GET', '/admin/audit?event=agent.delegate&limit=100', { token: admin });
    assert.equal(audit.status, 200, audit.text);
    const denied: Array<{ actor: string; data: Record<string, unknown> }> = audit.body.entries.filter((e: { outcome: string }) => e.outcome === 'denied');
    assert.deepEqual(denied.map((e) => e.data['error_code']).sort(),
      ['GW_ERR_CONFLICT', 'GW_ERR_DELEGATION_DEPTH', 'GW_ERR_DELEGATION_SCOPE', 'GW_ERR_DELEGATION_TTL', 'GW_ERR_FORBIDDEN', 'GW_ERR_VALIDATION']);
    const scope = denied.find((e) => e.data['error_code'] === 'GW_ERR_DELEGATION_SCOPE');
    assert.equal(scope?.actor, 'agent:lead');
    assert.equal(scope?.data['parent_id'], 'lead');
    assert.equal(scope?.data['agent_id'], 'wide');
    assert.deepEqual(scope?.data['wider'], ['web.post']);
    assert.equal(denied.find((e) => e.data['error_code'] === 'GW_ERR_DELEGATION_TTL')?.data['max_ttl_seconds'], 3600);
    const deep = denied.find((e) => e.data['error_code'] === 'GW_ERR_DELEGATION_DEPTH');
    assert.deepEqual(deep?.data['chain'], ['lead', 'kid', 'k2', 'k3']);
    const bad = denied.find((e) => e.data['error_code'] === 'GW_ERR_VALIDATION');
    assert.equal(bad?.data['agent_id'], undefined, 'an id that failed validation is not copied into the audit log');
    assert.equal(denied.find((e) => e.data['error_code'] === 'GW_ERR_FORBIDDEN')?.actor, 'admin:admin');

    // audit-or-refuse: a refusal that cannot be recorded is answered 503, and nothing is created
    failing = true;
    const unrecorded = await delegate(gw, lead, 'wide', ['web.post'], 60);
    const unrecordedOk = await delegate(gw, lead, 'fresh', ['note.read'], 60);
    failing = false;
    assert.equal(unrecorded.status, 503, unrecorded.text);
    assert.equal(unrecorded.body.code, 'GW_ERR_AUDIT_UNAVAILABLE');
    assert.equal(unrecordedOk.status, 503, unrecordedOk.text);
    const list = await call(gw.url, 'GET', '/admin/agents', { token: admin });
    assert.ok(!list.body.agents.some((a: { agent_id: string }) => a.agent_id === 'fresh'), 'no line, no child');
  } finally {
    await gw.stop(true);
  }
});
