/**
 * Property test of THE origin normalisation (privacy/rules.ts normalizeOrigin), used both when
 * a rule is stored and when a page is matched: equivalent spellings of an origin (case, default
 * port, trailing dot(s), percent-encoded host characters, Unicode vs punycode, ideographic
 * full stops, userinfo, path/query/fragment) always map to the same origin, and the result is a
 * fixed point. A seeded generator keeps failures reproducible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeOrigin } from '../../../agent-gateway/privacy/rules.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Base { scheme: 'http' | 'https'; labels: string[]; unicode?: string[]; port?: number; expected: string }
const BASES: Base[] = [
  { scheme: 'https', labels: ['bank', 'example', 'com'], expected: 'https://bank.example.com' },
  { scheme: 'http', labels: ['mail', 'example', 'org'], port: 8080, expected: 'http://mail.example.org:8080' },
  { scheme: 'https', labels: ['xn--bcher-kva', 'example'], unicode: ['bücher', 'example'], expected: 'https://xn--bcher-kva.example' },
  { scheme: 'http', labels: ['localhost'], port: 3000, expected: 'http://localhost:3000' },
];
const DEFAULT_PORT = { http: 80, https: 443 } as const;

function spell(b: Base, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const flip = (s: string): string => [...s].map((c) => (r() < 0.5 ? c.toUpperCase() : c)).join('');
  const pct = (s: string): string => [...s].map((c) => (/[a-z0-9]/i.test(c) && r() < 0.3 ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('');
  const labels = b.unicode !== undefined && r() < 0.5 ? b.unicode : b.labels;
  const sep = (): string => pick(['.', '.', '.', '%2e', '%2E', '\u3002']);
  let host = labels.map((l) => (labels === b.unicode ? l : pct(flip(l)))).reduce((acc, l, i) => (i === 0 ? l : acc + sep() + l), '');
  if (r() < 0.5) host += pick(['.', '%2e', '..']);
  const port = b.port ?? (r() < 0.5 ? DEFAULT_PORT[b.scheme] : undefined);
  const userinfo = r() < 0.2 ? 'u:p@' : '';
  const tail = pick(['', '/', '/x', '/a/b?q=1', '/?x#frag', '#f']);
  return `${flip(b.scheme)}://${userinfo}${host}${port === undefined ? '' : `:${port}`}${tail}`;
}

test('equivalent spellings always normalise to the same origin (seeded, 4 × 500 cases)', () => {
  for (const base of BASES) {
    const r = rng(0x5eed + base.expected.length);
    for (let i = 0; i < 500; i++) {
      const url = spell(base, r);
      const out = normalizeOrigin(url);
      assert.ok(out.ok, url);
      assert.equal(out.origin, base.expected, url);
      const again = normalizeOrigin(out.origin);
      assert.ok(again.ok && again.origin === out.origin, `fixed point for ${url}`);
    }
  }
});

test('the three bypass spellings of the issue name the rule origin', () => {
  for (const url of ['https://bank.example.com./x', 'https://bank.example.com.:443/x', 'https://bank.example.com%2e/x']) {
    assert.deepEqual(normalizeOrigin(url), { ok: true, origin: 'https://bank.example.com' }, url);
  }
});

test('different origins stay different; non-http and host-less inputs are refused', () => {
  assert.notEqual((normalizeOrigin('https://bank.example.com') as { origin: string }).origin, (normalizeOrigin('http://bank.example.com') as { origin: string }).origin);
  assert.notEqual((normalizeOrigin('https://bank.example.com:8443') as { origin: string }).origin, (normalizeOrigin('https://bank.example.com') as { origin: string }).origin);
  assert.notEqual((normalizeOrigin('https://bank.example.co') as { origin: string }).origin, (normalizeOrigin('https://bank.example.com') as { origin: string }).origin);
  for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'https://./', 'not a url', '', 42]) assert.equal(normalizeOrigin(bad).ok, false, String(bad));
  assert.deepEqual(normalizeOrigin('http://[::1]:80/x'), { ok: true, origin: 'http://[::1]' });
  assert.deepEqual(normalizeOrigin('http://0x7f.1:8080'), { ok: true, origin: 'http://127.0.0.1:8080' });
});
