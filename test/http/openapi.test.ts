/**
 * Issue 18.1: GET /openapi.json is a valid OpenAPI 3.1 document (checked by
 * @readme/openapi-parser), every route registered on the real app (walking Express's router
 * stack) is in it with its statuses, every documented route is registered, and request bodies
 * are the very schema objects the routes validate with.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { validate, compileErrors } from '@readme/openapi-parser';
import { ROUTE_DOCS } from '../../agent-gateway/http/openapi.ts';
import { ROUTE_BODY_SCHEMAS } from '../../agent-gateway/http/validate-body.ts';
import { call, startGateway, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
let doc: any;

before(async () => {
  gw = await startGateway();
  const res = await call(gw.url, 'GET', '/openapi.json');
  assert.equal(res.status, 200);
  doc = res.body;
});
after(async () => {
  await gw.stop(true);
});

interface Layer { route?: { path: unknown; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }

/** `METHOD /path` of every route on the app, `:param` form; regexp routes become their literal prefix. */
function registered(): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]): void => {
    for (const l of stack) {
      if (l.route) {
        const path = typeof l.route.path === 'string' ? l.route.path : String(l.route.path).replace(/^\/\^\\\//, '/').replace(/\(.*$/, '').replace(/\\\//g, '/');
        const methods = Object.keys(l.route.methods).filter((m) => m !== '_all');
        if (methods.length === 0) out.push(`ALL ${path}`);
        for (const m of methods) out.push(`${m.toUpperCase()} ${path}`);
      } else if (l.handle?.stack) walk(l.handle.stack);
    }
  };
  walk((gw.gateway.app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out;
}

test('the document is valid OpenAPI 3.1', async () => {
  assert.equal(doc.openapi, '3.1.0');
  const result = await validate(structuredClone(doc));
  assert.ok(result.valid, result.valid ? '' : compileErrors(result));
});

test('every registered route is documented with statuses, and every documented route is registered', () => {
  const routes = registered();
  assert.ok(routes.length > 40, `found ${routes.length} routes`);
  const documented = new Set(ROUTE_DOCS.map((r) => `${r.method.toUpperCase()} ${r.path}`));
  // `/mcp` answers every method (app.all): only POST is the endpoint; other methods answer 405
  const missing = routes.filter((r) => !documented.has(r) && r !== 'ALL /mcp');
  assert.deepEqual(missing, [], 'registered but not in the OpenAPI document');
  const set = new Set(routes);
  assert.deepEqual([...documented].filter((r) => !set.has(r)), [], 'documented but not registered');
  for (const r of routes.filter((x) => x !== 'ALL /mcp')) {
    const [method, path] = r.split(' ') as [string, string];
    const op = doc.paths[path.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[method.toLowerCase()];
    assert.ok(op, `${r} in paths`);
    const statuses = Object.keys(op.responses);
    assert.ok(statuses.some((s) => s.startsWith('2')), `${r} documents a success status`);
  }
});

test('request bodies are the schemas the routes validate with (no copies)', () => {
  for (const [route, schema] of ROUTE_BODY_SCHEMAS) {
    const [method, path] = route.split(' ') as [string, string];
    const op = doc.paths[path.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[method.toLowerCase()];
    assert.ok(op, `${route} is documented`);
    assert.deepEqual(op.requestBody.content['application/json'].schema, JSON.parse(JSON.stringify(schema)), route);
  }
  assert.ok(ROUTE_BODY_SCHEMAS.has('POST /admin/agents') && ROUTE_BODY_SCHEMAS.has('POST /v1/chat/completions'));
  const agents = doc.paths['/admin/agents'].post.requestBody.content['application/json'].schema;
  assert.deepEqual(agents.required, ['agent_id', 'tools']);
  assert.ok(doc.paths['/tools/call'].post.responses['202'].description.includes('Location'));
});
