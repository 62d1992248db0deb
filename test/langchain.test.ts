import { inspect } from 'node:util';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { AIMessageChunk } from '@langchain/core/messages';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { BudgetExceededError, createBudget, createWallet } from '@venice-x402/core';
import { ChatVeniceX402, VeniceX402Embeddings } from '@venice-x402/langchain';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { createAgent } from 'langchain';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.stop());

const usd = (micros: bigint) => Number(micros) / 1e6;

function funded() {
  const privateKey = generatePrivateKey();
  const address = privateKeyToAccount(privateKey).address;
  sim.credit(address, 5);
  return { privateKey, address };
}

const weather = tool(async ({ city }: { city: string }) => `It is sunny in ${city}.`, {
  name: 'weather',
  description: 'Current weather for a city',
  schema: z.object({ city: z.string() }),
});

describe('ChatVeniceX402', () => {
  it('invoke: text, usage and cost metadata equal to the simulator charge', async () => {
    const { privateKey, address } = funded();
    const model = new ChatVeniceX402({ model: 'llama-3.3-70b', privateKey, baseURL: sim.baseURL, maxTokens: 10 });
    const msg = await model.invoke('Hello');
    expect(msg.content).toMatch(/Simulated reply/);
    expect(msg.usage_metadata?.total_tokens).toBeGreaterThan(0);
    expect(msg.response_metadata.costUsd).toBeCloseTo(usd(sim.ledger.totalCharged(address)), 9);
    expect(msg.response_metadata.balanceRemainingUsd).toBeCloseTo(5 - (msg.response_metadata.costUsd as number), 6);
    expect(msg.response_metadata.model).toBe('llama-3.3-70b');
    expect(msg.response_metadata.model_name).toBe('llama-3.3-70b');
  });

  it('streaming invoke counts tokens locally: nothing leaves for a host other than the API', async () => {
    const { privateKey, address } = funded();
    const hosts: string[] = [];
    const real = globalThis.fetch;
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      hosts.push(url.hostname);
      if (url.hostname !== '127.0.0.1') throw new TypeError(`offline: ${url.hostname}`);
      return real(input, init);
    }) as typeof fetch;
    try {
      const model = new ChatVeniceX402({
        model: 'qwen3-4b',
        privateKey,
        baseURL: sim.baseURL,
        maxTokens: 8,
        streaming: true,
        fetch: globalThis.fetch,
      } as ConstructorParameters<typeof ChatVeniceX402>[0]);
      const msg = await model.invoke('count me locally');
      expect(msg.content).toMatch(/Simulated reply/);
      expect(msg.usage_metadata?.input_tokens).toBeGreaterThan(0);
    } finally {
      globalThis.fetch = real;
    }
    expect(hosts.filter((h) => h !== '127.0.0.1')).toEqual([]);
    expect(sim.ledger.totalCharged(address)).toBeGreaterThan(0n);
  });

  it('stream: text chunks, then cost on the last chunk', async () => {
    const { privateKey, address } = funded();
    const model = new ChatVeniceX402({ model: 'qwen3-4b', privateKey, baseURL: sim.baseURL, maxTokens: 8 });
    let full: AIMessageChunk | undefined;
    let chunks = 0;
    for await (const chunk of await model.stream('stream this')) {
      chunks++;
      full = full ? full.concat(chunk) : chunk;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(full!.content).toMatch(/Simulated reply/);
    expect(full!.response_metadata.costUsd).toBeCloseTo(usd(sim.ledger.totalCharged(address)), 9);
  });

  it('bindTools: tool-call chunks in a stream and tool calls on invoke; batch works', async () => {
    const { privateKey } = funded();
    const model = new ChatVeniceX402({ model: 'llama-3.3-70b', privateKey, baseURL: sim.baseURL }).bindTools([weather]);
    const msg = await model.invoke('Weather in Rome?');
    expect(msg.tool_calls?.[0]).toMatchObject({ name: 'weather', args: { city: expect.any(String) } });
    let full: AIMessageChunk | undefined;
    for await (const chunk of await model.stream('Weather in Oslo?')) full = full ? full.concat(chunk) : chunk;
    expect(full!.tool_call_chunks?.length).toBeGreaterThan(0);
    expect(full!.tool_calls?.[0]?.name).toBe('weather');
    const results = await new ChatVeniceX402({
      model: 'qwen3-4b',
      privateKey,
      baseURL: sim.baseURL,
      maxTokens: 4,
    }).batch(['a', 'b', 'c']);
    expect(results).toHaveLength(3);
  });

  it('withStructuredOutput (zod) defaults to function calling', async () => {
    const { privateKey } = funded();
    const seen: any[] = [];
    const model = new ChatVeniceX402({
      model: 'llama-3.3-70b',
      privateKey,
      baseURL: sim.baseURL,
      fetch: async (input, init) => {
        seen.push(JSON.parse(new TextDecoder().decode(init?.body as Uint8Array)));
        return fetch(input, init);
      },
    });
    const structured = model.withStructuredOutput(z.object({ name: z.string(), age: z.number().int().min(0) }));
    const out = await structured.invoke('Invent a person');
    expect(typeof out.name).toBe('string');
    expect(seen[0].tools[0].function.name).toBeDefined();
    expect(seen[0].response_format).toBeUndefined();
  });

  it('sends typed venice_parameters and honours an abort signal', async () => {
    const { privateKey } = funded();
    const seen: any[] = [];
    const model = new ChatVeniceX402({
      model: 'qwen3-4b',
      privateKey,
      baseURL: sim.baseURL,
      veniceParameters: { includeVeniceSystemPrompt: false },
      fetch: async (input, init) => {
        seen.push(JSON.parse(new TextDecoder().decode(init?.body as Uint8Array)));
        return fetch(input, init);
      },
    });
    await model.invoke('x', { veniceParameters: { enableWebSearch: 'on' } });
    expect(seen[0].venice_parameters).toEqual({ include_venice_system_prompt: false, enable_web_search: 'on' });
    const controller = new AbortController();
    controller.abort();
    await expect(model.invoke('x', { signal: controller.signal })).rejects.toThrow(/abort/i);
  });

  it('refuses over budget with the typed error, without retries or requests', async () => {
    const { privateKey } = funded();
    const model = new ChatVeniceX402({
      model: 'llama-3.3-70b',
      privateKey,
      baseURL: sim.baseURL,
      budget: createBudget({ limits: { perRequestUsd: 0.0001 } }),
      maxTokens: 4000,
    });
    const before = sim.stats.byRoute['/chat/completions'] ?? 0;
    await expect(model.invoke('x')).rejects.toBeInstanceOf(BudgetExceededError);
    expect(sim.stats.byRoute['/chat/completions'] ?? 0).toBe(before);
  });

  it('runs a two-step tool loop in createAgent', async () => {
    const { privateKey, address } = funded();
    const budget = createBudget();
    const agent = createAgent({
      model: new ChatVeniceX402({ model: 'llama-3.3-70b', privateKey, baseURL: sim.baseURL, budget }),
      tools: [weather],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'What is the weather in Lisbon?' }] });
    const kinds = result.messages.map((m: any) => m.getType?.() ?? m._getType());
    expect(kinds).toEqual(['human', 'ai', 'tool', 'ai']);
    expect(String(result.messages.at(-1)!.content)).toMatch(/tool result It is sunny/);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(address)), 9);
    // The final message of the run carries the run's total; its costUsd is its own step's.
    const charged = [...sim.ledger.chargesByRequest(address).values()].map(usd);
    expect(charged).toHaveLength(2);
    const final = result.messages.at(-1)!.response_metadata as Record<string, number>;
    expect(final.totalCostUsd).toBeCloseTo(charged[0]! + charged[1]!, 9);
    expect(final.costUsd).toBeCloseTo(charged[1]!, 9);
  });

  it('streamed agent steps and chunks carry cost, balance, budget left and the run total, as invoke does', async () => {
    const { privateKey, address } = funded();
    const budget = createBudget({ limits: { dailyUsd: 1 } });
    const model = new ChatVeniceX402({ model: 'qwen3-4b', privateKey, baseURL: sim.baseURL, budget, maxTokens: 8 });
    let full: AIMessageChunk | undefined;
    for await (const chunk of await model.stream('stream this')) full = full ? full.concat(chunk) : chunk;
    const spent = usd(sim.ledger.totalCharged(address));
    expect(full!.response_metadata).toMatchObject({
      costUsd: expect.closeTo(spent, 9),
      balanceRemainingUsd: expect.closeTo(5 - spent, 6),
      budgetRemainingUsd: expect.closeTo(1 - spent, 6),
      totalCostUsd: expect.closeTo(spent, 9),
    });

    const agent = createAgent({ model, tools: [weather] });
    let last: any;
    for await (const [message] of await agent.stream(
      { messages: [{ role: 'user', content: 'What is the weather in Lisbon?' }] },
      { streamMode: 'messages' },
    )) {
      const meta = message.response_metadata as Record<string, unknown> | undefined;
      if (message.getType?.() === 'ai' && meta?.totalCostUsd !== undefined) last = message;
    }
    const run = usd(sim.ledger.totalCharged(address)) - spent;
    expect(last.response_metadata.totalCostUsd).toBeCloseTo(run, 9);
    expect(last.response_metadata.budgetRemainingUsd).toBeCloseTo(1 - spent - run, 6);
  });

  it('never exposes a canary key: JSON, toJSON, inspect, callbacks, errors', async () => {
    const canary = generatePrivateKey();
    const hex = canary.slice(2);
    const apiCanary = 'sk-canary-0123456789abcdef';
    sim.credit(privateKeyToAccount(canary).address, 1);
    const payloads: string[] = [];
    class Spy extends BaseCallbackHandler {
      name = 'spy';
      override handleLLMStart(...args: unknown[]) {
        payloads.push(JSON.stringify(args));
      }
      override handleLLMEnd(...args: unknown[]) {
        payloads.push(JSON.stringify(args));
      }
      override handleChatModelStart(...args: unknown[]) {
        payloads.push(JSON.stringify(args));
      }
    }
    const model = new ChatVeniceX402({
      model: 'qwen3-4b',
      privateKey: canary,
      baseURL: sim.baseURL,
      callbacks: [new Spy()],
    });
    await model.invoke('hello');
    const bad = new ChatVeniceX402({
      model: 'qwen3-4b',
      privateKey: canary,
      baseURL: 'http://127.0.0.1:1/api/v1',
      maxRetries: 0,
    });
    const error = await bad.invoke('x').catch((e) => e);
    const keyModel = new ChatVeniceX402({ model: 'qwen3-4b', apiKey: apiCanary, baseURL: sim.baseURL });
    const emb = new VeniceX402Embeddings({ privateKey: canary, baseURL: sim.baseURL });
    const haystack = [
      JSON.stringify(model),
      JSON.stringify(model.toJSON()),
      inspect(model, { depth: 8, showHidden: true }),
      JSON.stringify(keyModel),
      inspect(keyModel, { depth: 8, showHidden: true }),
      JSON.stringify(emb),
      inspect(emb, { depth: 8, showHidden: true }),
      ...payloads,
      String(error),
      error?.stack,
      JSON.stringify(error),
      inspect(error, { depth: 8 }),
    ].join('\n');
    expect(payloads.length).toBeGreaterThan(0);
    expect(haystack).not.toContain(hex);
    expect(haystack).not.toContain(apiCanary);
  });
});

describe('VeniceX402Embeddings', () => {
  it('batches, de-duplicates, and the cache makes re-indexing free', async () => {
    const { privateKey, address } = funded();
    const emb = new VeniceX402Embeddings({ privateKey, baseURL: sim.baseURL, batchSize: 100 });
    const corpus = Array.from({ length: 250 }, (_, i) => `document number ${i % 200}\nabout topic ${(i % 200) % 7}`);
    const first = await emb.embedDocuments(corpus);
    expect(first).toHaveLength(250);
    expect(first[0]).toEqual(first[200]); // identical texts, one vector
    const paidCalls = sim.ledger.chargesByRequest(address).size;
    expect(paidCalls).toBe(2); // 200 distinct texts in batches of 100
    // The call's cost is the sum over both batches, as the simulator charged them.
    expect(emb.lastCall).toMatchObject({ requests: 2, paidTexts: 200, reusedTexts: 50 });
    expect(emb.lastCall!.costUsd).toBeCloseTo(usd(sim.ledger.totalCharged(address)), 9);
    const again = await emb.embedDocuments(corpus);
    expect(emb.lastCall).toEqual({ costUsd: 0, requests: 0, paidTexts: 0, reusedTexts: 250 });
    expect(again).toEqual(first);
    expect(await emb.embedQuery('document number 3 about topic 3')).toEqual(first[3]);
    expect(sim.ledger.chargesByRequest(address).size).toBe(paidCalls); // zero paid calls the second time
  });

  it('works in a RAG chain with an in-memory vector store', async () => {
    const { privateKey } = funded();
    const embeddings = new VeniceX402Embeddings({ privateKey, baseURL: sim.baseURL });
    const store = await MemoryVectorStore.fromTexts(
      ['Venice sells inference for USDC on Base', 'Cats sleep most of the day', 'x402 pays per HTTP call'],
      [{}, {}, {}],
      embeddings,
    );
    const retriever = store.asRetriever(1);
    const [doc] = await retriever.invoke('How does x402 pay for a call?');
    expect(doc!.pageContent).toMatch(/x402/);
    const chain = RunnableSequence.from([
      {
        context: retriever.pipe((docs) => docs.map((d) => d.pageContent).join('\n')),
        question: new RunnablePassthrough(),
      },
      ChatPromptTemplate.fromTemplate('Context: {context}\nQuestion: {question}'),
      new ChatVeniceX402({ model: 'qwen3-4b', privateKey, baseURL: sim.baseURL, maxTokens: 8 }),
      new StringOutputParser(),
    ]);
    expect(await chain.invoke('What pays per call?')).toMatch(/Simulated reply/);
  });

  it('uses the budget and the typed refusal', async () => {
    const { privateKey } = funded();
    const emb = new VeniceX402Embeddings({
      privateKey,
      baseURL: sim.baseURL,
      budget: createBudget({ limits: { perRequestUsd: 0.0000001 } }),
    });
    await expect(emb.embedDocuments(['x'.repeat(1000)])).rejects.toBeInstanceOf(BudgetExceededError);
    expect(createWallet).toBeTypeOf('function');
  });
});
