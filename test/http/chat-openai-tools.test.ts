/**
 * Issue 18.4 with the official `openai` SDK against Palisade's /v1 surface, relayed to a real
 * fake provider on 127.0.0.1: errors are readable (OpenAI's {error:{message,type,code,param}}),
 * a function-calling round trip works, tool-call deltas stream, and GET /v1/models lists the
 * enabled providers' models.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

let fake: FakeProvider;
let gw: TestGateway;
let client: OpenAI;

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{
  type: 'function',
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
}];

before(async () => {
  fake = await startFakeProvider();
  gw = await startGateway({
    env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OPENAI_BASE_URL: `${fake.origin}/v1`, PALISADE_OLLAMA_BASE_URL: fake.origin },
    keyEnv: { OPENAI_API_KEY: 'sk-env-openai-000000001' },
  });
  const admin = (await loginAdmin(gw.url)).token;
  assert.equal((await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'gina', password: 'gina password long', role: 'user' } })).status, 201);
  const user = (await loginAdmin(gw.url, 'gina password long', 'gina')).token;
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: user, maxRetries: 0, timeout: 30_000 });
});

after(async () => {
  await gw.stop(true);
  await fake.close();
});

describe('openai SDK: errors', () => {
  test('a 422 shows the field and the reason, not "(no body)"', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'robot' as 'user', content: 'hi' }] }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.UnprocessableEntityError, String(e));
        assert.equal(e.status, 422);
        assert.equal(e.code, 'GW_ERR_VALIDATION');
        assert.equal(e.type, 'invalid_request_error');
        assert.equal(e.param, 'messages[0].role');
        assert.match(e.message, /^422 .*messages\[0\]\.role: must be equal to one of the allowed values/);
        assert.doesNotMatch(e.message, /no body/);
        return true;
      },
    );
  });

  test('a bad token is an AuthenticationError with a message; an unknown /v1 route a NotFoundError', async () => {
    const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'nope', maxRetries: 0 });
    await assert.rejects(bad.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError && e.type === 'authentication_error' && !/no body/.test(e.message));
    await assert.rejects(client.embeddings.create({ model: 'x', input: 'y' }), (e: unknown) => e instanceof OpenAI.NotFoundError && e.code === 'GW_ERR_NOT_FOUND');
  });

  test('tools sent to a provider that does not take them: a readable 422', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'ollama:llama3', messages: [{ role: 'user', content: 'hi' }], tools }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.UnprocessableEntityError);
      assert.match(e.message, /only to OpenAI-wire providers/);
      return true;
    });
  });
});

describe('openai SDK: function calling', () => {
  test('non-streamed round trip: tool call out, tool result back, final answer', async () => {
    const first = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'weather in Paris?' }], tools, tool_choice: 'auto' });
    const choice = first.choices[0];
    assert.equal(choice?.finish_reason, 'tool_calls');
    assert.equal(choice?.message.content, null);
    const tc = choice?.message.tool_calls?.[0];
    assert.ok(tc && tc.type === 'function');
    assert.equal(tc.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(tc.function.arguments), { city: 'Paris' });
    const sent = JSON.parse(fake.received.at(-1)?.body ?? '{}') as Record<string, unknown>;
    assert.deepEqual(sent['tools'], tools, 'tools pass through unchanged');
    assert.equal(sent['tool_choice'], 'auto');

    const second = await client.chat.completions.create({
      model: 'gpt-test', tools,
      messages: [{ role: 'user', content: 'weather in Paris?' }, choice.message, { role: 'tool', tool_call_id: tc.id, content: 'sunny' }],
    });
    assert.equal(second.choices[0]?.message.content, 'tool said: sunny');
    assert.equal(second.choices[0]?.finish_reason, 'stop');
    const back = JSON.parse(fake.received.at(-1)?.body ?? '{}') as { messages: Array<Record<string, unknown>> };
    assert.deepEqual(back.messages[1], { role: 'assistant', content: null, tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] });
    assert.deepEqual(back.messages[2], { role: 'tool', content: 'sunny', tool_call_id: 'call_fake_1' });
  });

  test('streamed tool-call deltas arrive in pieces and join to the arguments', async () => {
    fake.toolArguments = '{"city":"Paris","unit":"celsius"}';
    const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'weather?' }], tools, stream: true });
    let args = '';
    let name: string | undefined;
    let id: string | undefined;
    let pieces = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        assert.equal(d.index, 0);
        name ??= d.function?.name;
        id ??= d.id;
        if (d.function?.arguments) {
          args += d.function.arguments;
          pieces += 1;
        }
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(name, 'get_weather');
    assert.equal(id, 'call_fake_1');
    assert.ok(pieces >= 2, `arguments arrived in ${pieces} pieces`);
    assert.deepEqual(JSON.parse(args), { city: 'Paris', unit: 'celsius' });
    assert.equal(finish, 'tool_calls');
  });

  test('response_format passes through; a malformed tool is a 422 naming the field', async () => {
    await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'json please' }], response_format: { type: 'json_object' } });
    assert.deepEqual((JSON.parse(fake.received.at(-1)?.body ?? '{}') as Record<string, unknown>)['response_format'], { type: 'json_object' });
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'bad name!' } }] }),
      (e: unknown) => e instanceof OpenAI.UnprocessableEntityError && e.param === 'tools[0].function.name',
    );
  });
});

describe('GET /v1/models', () => {
  test('lists the models of the enabled providers that have a key (ollama needs none), prefixed by provider', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('fake-small') && ids.includes('fake-large'), ids.join(','));
    assert.ok(ids.includes('ollama:fake-small'), ids.join(','));
    assert.equal(ids.some((i) => i.startsWith('anthropic:') || i.startsWith('openrouter:')), false, 'disabled providers are not asked');
  });
});
