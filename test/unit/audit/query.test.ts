import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuditQuery } from '../../../agent-gateway/audit/query.ts';

test('parses every supported parameter into a read query', () => {
  const r = parseAuditQuery({ since: '2026-01-01', until: '2026-01-02T10:00:00.500+02:00', event: 'auth.login', actor: 'user:alice', after_seq: '41', limit: '25', format: 'csv' });
  assert.deepEqual(r, {
    ok: true, format: 'csv',
    query: { since: Date.parse('2026-01-01T00:00:00Z'), until: Date.parse('2026-01-02T08:00:00.500Z'), event: 'auth.login', actor: 'user:alice', after_seq: 41, limit: 25 },
  });
});

test('defaults to JSON and a limit of 100', () => {
  assert.deepEqual(parseAuditQuery({}), { ok: true, format: 'json', query: { limit: 100 } });
});

test('rejects a bad date with GW_ERR_VALIDATION naming the parameter', () => {
  for (const since of ['yesterday', '2026-13-01', '2026-02-31', '1700000000', '2026-01-01T10:00:00', '']) {
    const r = parseAuditQuery({ since });
    assert.equal(r.ok, false, since);
    if (!r.ok) {
      assert.equal(r.code, 'GW_ERR_VALIDATION');
      assert.equal(r.errors[0]?.param, 'since');
    }
  }
});

test('rejects until before since, bad limits, bad after_seq, bad format, unknown and repeated parameters', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ since: '2026-01-02', until: '2026-01-01' }, 'until'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '10001' }, 'limit'],
    [{ limit: '1e3' }, 'limit'],
    [{ after_seq: '-1' }, 'after_seq'],
    [{ format: 'xml' }, 'format'],
    [{ event: 'a b' }, 'event'],
    [{ actor: 'x\u0000' }, 'actor'],
    [{ sort: 'desc' }, 'sort'],
    [{ limit: ['1', '2'] }, 'limit'],
  ];
  for (const [raw, param] of cases) {
    const r = parseAuditQuery(raw);
    assert.equal(r.ok, false, JSON.stringify(raw));
    if (!r.ok) assert.equal(r.errors[0]?.param, param);
  }
});
