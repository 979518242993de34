/** Pure decisions behind the privacy and OpenAI-compatible routes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSubjectAccess } from '../../agent-gateway/http/routes/privacy.ts';
import { providerForModel } from '../../agent-gateway/http/routes/chat.ts';

describe('decideSubjectAccess', () => {
  test('an admin may act on any subject; a user only on their own username', () => {
    // subjects are typed (issue 19.5): a bare name is a user subject
    assert.deepEqual(decideSubjectAccess({ kind: 'admin', name: 'root' }, 'bob'), { ok: true, subject: { kind: 'user', id: 'bob' } });
    assert.deepEqual(decideSubjectAccess({ kind: 'user', name: 'bob' }, 'bob'), { ok: true, subject: { kind: 'user', id: 'bob' } });
    assert.equal(decideSubjectAccess({ kind: 'user', name: 'bob' }, 'Bob').ok, false);
    assert.equal((decideSubjectAccess({ kind: 'user', name: 'bob' }, 'Bob') as { code: string }).code, 'GW_ERR_FORBIDDEN');
    assert.equal((decideSubjectAccess({ kind: 'agent', name: 'bob' }, 'bob') as { code: string }).code, 'GW_ERR_FORBIDDEN');
  });

  test('refuses a missing, repeated, empty, oversized or control-character subject with GW_ERR_VALIDATION', () => {
    for (const s of [undefined, ['a', 'b'], '', 'x'.repeat(257), 'bob\n', { a: 1 }]) {
      const d = decideSubjectAccess({ kind: 'admin', name: 'root' }, s);
      assert.equal(d.ok, false, JSON.stringify(s));
      assert.equal((d as { code: string }).code, 'GW_ERR_VALIDATION', JSON.stringify(s));
    }
  });
});

describe('providerForModel', () => {
  test('a known provider prefix selects that provider and is stripped from the model', () => {
    assert.deepEqual(providerForModel('ollama:llama3:8b', undefined), { provider: 'ollama', model: 'llama3:8b' });
    assert.deepEqual(providerForModel('openrouter:meta/llama', undefined), { provider: 'openrouter', model: 'meta/llama' });
  });
  test('otherwise the X-Palisade-Provider header, else openai; an unknown header is refused', () => {
    assert.deepEqual(providerForModel('gpt-4o', undefined), { provider: 'openai', model: 'gpt-4o' });
    assert.deepEqual(providerForModel('claude-x', 'anthropic'), { provider: 'anthropic', model: 'claude-x' });
    assert.deepEqual(providerForModel('evil:model', undefined), { provider: 'openai', model: 'evil:model' });
    assert.equal(providerForModel('m', 'evilcorp'), undefined);
  });
});
