/**
 * Our own conformance suite for the LangChain classes, against the simulator. LangChain's standard chat-model and
 * embeddings suites are not published, and `ChatVeniceX402` extends `ChatOpenAICompletions`, which
 * `@langchain/openai` marks internal: these cover the same categories (message types in and out, usage, metadata,
 * tools in every form LangChain accepts, structured output, streaming events, caching, abort, embedding shapes), so
 * an upstream change that breaks users fails here. What test/langchain.test.ts already covers is not repeated.
 */
import { InMemoryCache } from '@langchain/core/caches';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import {
  AIMessage,
  AIMessageChunk,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import { RunnableLambda } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { ChatVeniceX402, VeniceX402Embeddings } from '@venice-x402/langchain';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.stop());

function funded() {
  const privateKey = generatePrivateKey();
  const address = privateKeyToAccount(privateKey).address;
  sim.credit(address, 5);
  return { privateKey, address };
}

/** A model whose request bodies are kept, as sent through the paid fetch. */
function recordingModel(fields: Partial<ConstructorParameters<typeof ChatVeniceX402>[0]> = {}) {
  const bodies: any[] = [];
  const { privateKey, address } = funded();
  const model = new ChatVeniceX402({
    model: 'llama-3.3-70b',
    privateKey,
    baseURL: sim.baseURL,
    maxTokens: 16,
    fetch: async (input, init) => {
      bodies.push(JSON.parse(new TextDecoder().decode(init?.body as Uint8Array)));
      return fetch(input, init);
    },
    ...fields,
  });
  return { model, bodies, address };
}

async function collect(stream: AsyncIterable<AIMessageChunk>) {
  const chunks: AIMessageChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { chunks, full: chunks.reduce((a, b) => a.concat(b)) };
}

const weather = tool(async ({ city }: { city: string }) => `Sunny in ${city}`, {
  name: 'weather',
  description: 'Current weather for a city',
  schema: z.object({ city: z.string() }),
});
const clock = tool(async ({ zone }: { zone: string }) => `Noon in ${zone}`, {
  name: 'clock',
  description: 'Local time in a time zone',
  schema: z.object({ zone: z.string() }),
});

describe('ChatVeniceX402 conformance', { timeout: 30_000 }, () => {
  it('identifies itself: LangSmith params, type, and no secrets to serialise', () => {
    const { model } = recordingModel({ temperature: 0.3, maxTokens: 42 });
    expect(model._llmType()).toBe('venice-x402');
    expect(model.getLsParams({} as never)).toMatchObject({
      ls_provider: 'venice',
      ls_model_name: 'llama-3.3-70b',
      ls_model_type: 'chat',
      ls_temperature: 0.3,
      ls_max_tokens: 42,
    });
    expect(model.lc_secrets).toBeUndefined();
    expect(ChatVeniceX402.lc_name()).toBe('ChatVeniceX402');
  });

  it('message types in: system, human, AI and tool turns reach the API with their roles', async () => {
    const { model, bodies } = recordingModel();
    const history: BaseMessage[] = [
      new SystemMessage('You are terse.'),
      new HumanMessage('What is the weather in Rome?'),
      new AIMessage({ content: '', tool_calls: [{ id: 'call_1', name: 'weather', args: { city: 'Rome' } }] }),
      new ToolMessage({ tool_call_id: 'call_1', content: 'Sunny in Rome' }),
      new AIMessage('It is sunny in Rome.'),
      new HumanMessage({ content: [{ type: 'text', text: 'And tomorrow?' }] }),
    ];
    const reply = await model.bindTools([weather]).invoke(history);
    expect(AIMessage.isInstance(reply)).toBe(true);
    const sent = bodies[0].messages;
    expect(sent.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(sent[2].tool_calls[0]).toMatchObject({ id: 'call_1', function: { name: 'weather' } });
    expect(JSON.parse(sent[2].tool_calls[0].function.arguments)).toEqual({ city: 'Rome' });
    expect(sent[3]).toMatchObject({ tool_call_id: 'call_1', content: 'Sunny in Rome' });
  });

  it('a tool message with list content, and the reply right after a tool result is text', async () => {
    const { model } = recordingModel();
    const reply = await model
      .bindTools([weather])
      .invoke([
        new HumanMessage('Weather in Oslo?'),
        new AIMessage({ content: '', tool_calls: [{ id: 'call_9', name: 'weather', args: { city: 'Oslo' } }] }),
        new ToolMessage({ tool_call_id: 'call_9', content: [{ type: 'text', text: 'Snow in Oslo' }] }),
      ]);
    expect(reply.tool_calls ?? []).toEqual([]);
    expect(String(reply.content)).toMatch(/tool result Snow in Oslo/);
  });

  it('usage_metadata on invoke: input + output = total, as the server counted it', async () => {
    const { model } = recordingModel();
    const reply = await model.invoke('Count my tokens');
    const usage = reply.usage_metadata!;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
  });

  it('stream: AIMessageChunks, usage once in total, finish reason and cost on the concatenated message', async () => {
    const { model, address } = recordingModel();
    const { chunks, full } = await collect(await model.stream('Stream with usage'));
    expect(chunks.every((c) => AIMessageChunk.isInstance(c))).toBe(true);
    expect(chunks.filter((c) => c.usage_metadata).length).toBe(1);
    const usage = full.usage_metadata!;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    expect(full.response_metadata.finish_reason).toBe('stop');
    expect(full.response_metadata.costUsd).toBeCloseTo(Number(sim.ledger.totalCharged(address)) / 1e6, 9);
  });

  it('response_metadata: the server id, model name, finish reason and cost', async () => {
    const { model, address } = recordingModel();
    const reply = await model.invoke('Describe yourself');
    const [requestId] = [...sim.ledger.chargesByRequest(address).keys()];
    expect(reply.id).toBe(requestId);
    expect(reply.response_metadata).toMatchObject({
      model_name: 'llama-3.3-70b',
      model: 'llama-3.3-70b',
      finish_reason: 'stop',
      costUsd: expect.any(Number),
    });
  });

  it('streamEvents and callbacks see start, each token and the end', async () => {
    const { model } = recordingModel();
    const tokens: string[] = [];
    class Tokens extends BaseCallbackHandler {
      name = 'tokens';
      override handleLLMNewToken(token: string) {
        tokens.push(token);
      }
    }
    const events: string[] = [];
    let streamed = '';
    for await (const event of model.streamEvents('Tell me events', { version: 'v2', callbacks: [new Tokens()] })) {
      events.push(event.event);
      if (event.event === 'on_chat_model_stream') streamed += String(event.data.chunk.content);
    }
    expect(events[0]).toBe('on_chat_model_start');
    expect(events.at(-1)).toBe('on_chat_model_end');
    expect(events.filter((e) => e === 'on_chat_model_stream').length).toBeGreaterThan(2);
    expect(streamed).toMatch(/Simulated reply/);
    expect(tokens.join('')).toBe(streamed);
  });

  it('bindTools accepts OpenAI-format tools, tool-like runnables and a forced tool choice', async () => {
    const { model, bodies } = recordingModel();
    const openAiFormat = {
      type: 'function' as const,
      function: {
        name: 'lookup',
        description: 'Look a word up',
        parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
      },
    };
    const toolLike = RunnableLambda.from(async ({ zone }: { zone: string }) => `Noon in ${zone}`).asTool({
      name: 'zone_time',
      description: 'Time in a zone',
      schema: z.object({ zone: z.string() }),
    });
    const viaDict = await model.bindTools([openAiFormat]).invoke('Please lookup "venice"');
    expect(viaDict.tool_calls?.[0]).toMatchObject({ name: 'lookup', args: { word: expect.any(String) } });
    const viaRunnable = await model.bindTools([toolLike]).invoke('What time is it?');
    expect(viaRunnable.tool_calls?.[0]).toMatchObject({ name: 'zone_time', args: { zone: expect.any(String) } });
    const forced = await model.bindTools([weather, clock], { tool_choice: 'clock' }).invoke('Anything');
    expect(forced.tool_calls?.map((c) => c.name)).toEqual(['clock']);
    expect(bodies.at(-1).tool_choice).toEqual({ type: 'function', function: { name: 'clock' } });
    const any = await model.bindTools([weather], { tool_choice: 'any' }).invoke('No tool named here');
    expect(any.tool_calls?.[0]?.name).toBe('weather');
    expect(bodies.at(-1).tool_choice).toBe('required');
  });

  it('parallel tool calls, each with an id, in invoke and in a stream', async () => {
    const { model } = recordingModel();
    const bound = model.bindTools([weather, clock]);
    const reply = await bound.invoke('Use weather and clock, please');
    expect(reply.tool_calls?.map((c) => c.name).sort()).toEqual(['clock', 'weather']);
    expect(new Set(reply.tool_calls?.map((c) => c.id)).size).toBe(2);
    const { full } = await collect(await bound.stream('Use weather and clock, please'));
    expect(full.tool_calls?.map((c) => c.name).sort()).toEqual(['clock', 'weather']);
    expect(full.response_metadata.finish_reason).toBe('tool_calls');
  });

  it('a complex zod tool schema: the arguments parse against it', async () => {
    const schema = z.object({
      title: z.string(),
      priority: z.enum(['low', 'high']),
      tags: z.array(z.string()),
      due: z.object({ day: z.number().int(), month: z.number().int() }),
      note: z.string().optional(),
    });
    const ticket = tool(async () => 'filed', { name: 'file_ticket', description: 'File a ticket', schema });
    const { model } = recordingModel();
    const reply = await model.bindTools([ticket]).invoke('file_ticket for the broken build');
    expect(reply.tool_calls?.[0]?.name).toBe('file_ticket');
    expect(schema.safeParse(reply.tool_calls?.[0]?.args).success).toBe(true);
  });

  it('withStructuredOutput: includeRaw, a JSON schema, and jsonSchema mode', async () => {
    const person = z.object({ name: z.string(), age: z.number().int() });
    const { model, bodies } = recordingModel();
    const both = await model.withStructuredOutput(person, { includeRaw: true }).invoke('Invent a person');
    expect(AIMessage.isInstance(both.raw)).toBe(true);
    expect(person.safeParse(both.parsed).success).toBe(true);
    const jsonSchema = {
      title: 'city',
      description: 'A city',
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    };
    const fromJson = await model.withStructuredOutput(jsonSchema).invoke('Name a city');
    expect(typeof fromJson.city).toBe('string');
    const viaFormat = await model.withStructuredOutput(person, { method: 'jsonSchema' }).invoke('Invent a person');
    expect(person.safeParse(viaFormat).success).toBe(true);
    expect(bodies.at(-1).response_format.type).toBe('json_schema');
  });

  it('a cache hit answers without a second paid call', async () => {
    const { model, address } = recordingModel({ cache: new InMemoryCache() });
    const first = await model.invoke([new SystemMessage('Be brief.'), new HumanMessage('Cache me')]);
    const paid = sim.ledger.chargesByRequest(address).size;
    const second = await model.invoke([new SystemMessage('Be brief.'), new HumanMessage('Cache me')]);
    expect(second.content).toEqual(first.content);
    expect(sim.ledger.chargesByRequest(address).size).toBe(paid);
  });

  it('an abort in the middle of a stream ends it with an abort error', async () => {
    const { model } = recordingModel({ maxTokens: 64 });
    const controller = new AbortController();
    const read = async () => {
      for await (const _ of await model.stream('A long answer, please', { signal: controller.signal })) {
        controller.abort();
      }
    };
    await expect(read()).rejects.toThrow(/abort/i);
  });
});

describe('VeniceX402Embeddings conformance', () => {
  it('embedQuery is one vector of numbers; embedDocuments one per text, all of its length', async () => {
    const { privateKey } = funded();
    const emb = new VeniceX402Embeddings({ privateKey, baseURL: sim.baseURL });
    const query = await emb.embedQuery('hello world');
    expect(query.length).toBeGreaterThan(0);
    expect(query.every((x) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
    const docs = await emb.embedDocuments(['first text', 'second text', 'hello world']);
    expect(docs).toHaveLength(3);
    for (const vector of docs) expect(vector).toHaveLength(query.length);
    expect(docs[2]).toEqual(query);
  });

  it('an empty list is embedded as an empty list, without a paid call', async () => {
    const { privateKey, address } = funded();
    const emb = new VeniceX402Embeddings({ privateKey, baseURL: sim.baseURL });
    expect(await emb.embedDocuments([])).toEqual([]);
    expect(sim.ledger.chargesByRequest(address).size).toBe(0);
  });
});
