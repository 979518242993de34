// JSON bodies (media type, size limit declared or streamed, prototype-polluting keys at any
// depth) and ajv body validation, through the real middlewares on a port-0 express app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { GatewayError } from '../../../agent-gateway/errors.ts';
import { findForbiddenKey, jsonBody } from '../../../agent-gateway/http/body.ts';
import { bodyValidator, param, ROUTE_BODY_SCHEMAS, toFieldErrors } from '../../../agent-gateway/http/validate-body.ts';

test('findForbiddenKey: the pointer of the first forbidden key at any depth, arrays included; none in values', () => {
  assert.equal(findForbiddenKey(JSON.parse('{"__proto__":{}}')), '/__proto__');
  assert.equal(findForbiddenKey({ a: [{ b: 1 }, { constructor: 1 }] }), '/a/1/constructor');
  assert.equal(findForbiddenKey([[{ prototype: null }]]), '/0/0/prototype');
  assert.equal(findForbiddenKey({ 'a/b': { '~x': { __proto__x: 1, prototype: 2 } } }), '/a~1b/~0x/prototype', 'keys are escaped as JSON pointer segments');
  for (const v of [null, 1, 'constructor', ['__proto__'], { a: 'prototype' }, { toString: 1, proto: 2 }, []]) assert.equal(findForbiddenKey(v), undefined, JSON.stringify(v));
  let deep: unknown = { constructor: 1 };
  for (let i = 0; i < 50_000; i++) deep = [deep];
  assert.equal(findForbiddenKey(deep)?.endsWith('/0/constructor'), true, 'iterative: no stack overflow at depth 50 000');
});

test('toFieldErrors: at most 20, additionalProperties names the property (cut at 64), a missing message is "is invalid"', () => {
  assert.deepEqual(toFieldErrors(null), []);
  assert.deepEqual(toFieldErrors(undefined), []);
  const many = Array.from({ length: 25 }, (_, i) => ({ instancePath: `/${i}`, keyword: 'type', params: {}, schemaPath: '', message: 'must be string' }));
  const out = toFieldErrors(many);
  assert.equal(out.length, 20);
  assert.deepEqual(out[19], { instancePath: '/19', message: 'must be string' });
  assert.deepEqual(toFieldErrors([{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'x'.repeat(100) }, schemaPath: '' }]),
    [{ instancePath: '', message: `must NOT have additional property "${'x'.repeat(64)}"` }]);
  assert.deepEqual(toFieldErrors([{ instancePath: '/a', keyword: 'x', params: {}, schemaPath: '' }]), [{ instancePath: '/a', message: 'is invalid' }]);
  assert.equal(param('a'), 'a');
  assert.equal(param(['a', 'b']), '');
  assert.equal(param(undefined), '');
});

async function serve(t: { after: (fn: () => Promise<void>) => void }, limit: number) {
  const app = express();
  const validate = bodyValidator<{ name: string }>({
    type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', maxLength: 8 } },
  }, 'POST /v', 'PUT /v');
  app.all('/raw', ...jsonBody(limit), (req, res) => { res.json({ body: req.body === undefined ? 'none' : req.body }); });
  app.post('/v', ...jsonBody(limit), (req, res) => { res.json(validate(req)); });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (err instanceof GatewayError) res.status(err.status).json({ code: err.code, detail: err.detail, ...err.extras });
    else res.status((err as { status?: number }).status ?? 500).json({ code: 'other', type: (err as { type?: string }).type });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

function send(port: number, p: string, headers: Record<string, string>, chunks: readonly string[], method = 'POST'): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path: p, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
    });
    r.on('error', reject);
    for (const c of chunks) r.write(c);
    r.end();
  });
}
const json = (s: string, type = 'application/json') => ({ 'content-type': type, 'content-length': String(Buffer.byteLength(s)) });

test('jsonBody: no body passes as undefined; JSON only (charset utf-8 allowed); declared and streamed size limits; forbidden keys', async (t) => {
  const port = await serve(t, 64);
  assert.deepEqual(await send(port, '/raw', {}, []), { status: 200, body: { body: 'none' } });
  assert.deepEqual(await send(port, '/raw', { 'content-length': '0', 'content-type': 'text/plain' }, []), { status: 200, body: { body: 'none' } }, 'length 0 is no body, whatever its type');
  assert.deepEqual(await send(port, '/raw', json('{"a":1}'), ['{"a":1}']), { status: 200, body: { body: { a: 1 } } });
  assert.deepEqual(await send(port, '/raw', json('[1]', 'Application/JSON; charset=UTF-8'), ['[1]']), { status: 200, body: { body: [1] } });
  assert.deepEqual(await send(port, '/raw', json('"s"', 'application/json ;  charset=utf-8 '), ['"s"']), { status: 200, body: { body: 's' } }, 'strict: false accepts a scalar');
  assert.deepEqual(await send(port, '/raw', {}, [], 'GET'), { status: 200, body: { body: 'none' } }, 'neither Content-Length nor Transfer-Encoding: no body');
  for (const type of ['text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-8x', 'application/json; charset=utf-8;', 'application/jsonx', 'xapplication/json', 'application/x-www-form-urlencoded']) {
    const r = await send(port, '/raw', json('{}', type), ['{}']);
    assert.deepEqual(r, { status: 415, body: { code: 'GW_ERR_UNSUPPORTED_MEDIA_TYPE', detail: 'Send the body as application/json (UTF-8).' } }, type);
  }
  const noType = await send(port, '/raw', { 'content-length': '2' }, ['{}']);
  assert.equal(noType.status, 415, 'a body without Content-Type');
  const big = `{"a":"${'x'.repeat(60)}"}`;
  assert.deepEqual(await send(port, '/raw', json(big), [big]), { status: 413, body: { code: 'GW_ERR_BODY_TOO_LARGE', detail: 'Bodies are limited to 64 bytes.' } });
  const exact = `{"a":"${'x'.repeat(56)}"}`;
  assert.equal(Buffer.byteLength(exact), 64);
  assert.equal((await send(port, '/raw', json(exact), [exact])).status, 200, 'exactly the limit is accepted');
  const streamed = await send(port, '/raw', { 'content-type': 'application/json' }, ['{"a":"', 'x'.repeat(100), '"}']);
  assert.equal(streamed.status, 413, 'chunked with no declared length: the parser\'s limit applies');
  const smallChunked = await send(port, '/raw', { 'content-type': 'application/json' }, ['{"a"', ':2}']);
  assert.deepEqual(smallChunked, { status: 200, body: { body: { a: 2 } } }, 'a chunked body is parsed');
  const chunkedText = await send(port, '/raw', { 'content-type': 'text/plain' }, ['{}']);
  assert.equal(chunkedText.status, 415, 'a chunked body is a body');
  const polluted = '{"x":[{"__proto__":{"admin":true}}]}';
  assert.deepEqual(await send(port, '/raw', json(polluted), [polluted]), {
    status: 422, body: { code: 'GW_ERR_FORBIDDEN_KEY', detail: 'Forbidden key at /x/0/__proto__.', errors: [{ instancePath: '/x/0/__proto__', message: 'forbidden key' }] },
  });
  assert.equal((await send(port, '/raw', json('{bad'), ['{bad'])).status, 400);
});

test('bodyValidator: a valid body is returned as is; a bad one is a 422 with field errors; routes are recorded for OpenAPI', async (t) => {
  const port = await serve(t, 1024);
  assert.deepEqual(await send(port, '/v', json('{"name":"ok"}'), ['{"name":"ok"}']), { status: 200, body: { name: 'ok' } });
  const extra = await send(port, '/v', json('{"name":"ok","admin":true}'), ['{"name":"ok","admin":true}']);
  assert.deepEqual(extra, { status: 422, body: {
    code: 'GW_ERR_VALIDATION', detail: 'The request body does not match the expected shape.',
    errors: [{ instancePath: '', message: 'must NOT have additional property "admin"' }],
  } });
  const long = await send(port, '/v', json('{"name":"123456789"}'), ['{"name":"123456789"}']);
  assert.equal(long.status, 422, 'not rewritten or cut: refused');
  const coerced = await send(port, '/v', json('{"name":5}'), ['{"name":5}']);
  assert.deepEqual(coerced.body['errors'], [{ instancePath: '/name', message: 'must be string' }], 'no type coercion');
  const none = await send(port, '/v', {}, []);
  assert.deepEqual(none.body['errors'], [{ instancePath: '', message: 'must have required property \'name\'' }], 'no body is validated as {}');
  assert.ok(ROUTE_BODY_SCHEMAS.has('POST /v') && ROUTE_BODY_SCHEMAS.has('PUT /v'));
  assert.deepEqual(ROUTE_BODY_SCHEMAS.get('POST /v')?.['required'], ['name']);
});

test('bodyValidator: ajv runs strict (a schema with an untyped keyword is refused when built), stops at the first error and fills no defaults', () => {
  assert.throws(() => bodyValidator({ properties: { a: { type: 'string' } } }), /strict mode: missing type "object" for keyword "properties"/);
  const validate = bodyValidator<{ a?: string; b?: string }>({
    type: 'object', additionalProperties: false, properties: { a: { type: 'string', default: 'filled' }, b: { type: 'string' } },
  });
  const req = (body: unknown) => ({ body }) as unknown as express.Request;
  const empty = {};
  assert.equal(validate(req(empty)), empty);
  assert.deepEqual(empty, {}, 'no default written into the body');
  assert.throws(() => validate(req({ a: 1, b: 2 })), (e: unknown) => e instanceof GatewayError
    && JSON.stringify(e.extras['errors']) === JSON.stringify([{ instancePath: '/a', message: 'must be string' }]));
});
