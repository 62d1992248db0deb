/**
 * The simulator as a stand-in for the service agents use: `/responses` (JSON and SSE) billed like chat, and tool
 * calling that honours `tool_choice` and returns parallel calls — through the paid fetch, charged exactly.
 */
import { createBudget, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import OpenAI from 'openai';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.stop());

const usd = (micros: bigint) => Number(micros) / 1e6;

async function setup() {
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
  sim.credit(wallet.address, 5);
  const budget = createBudget({ limits: { dailyUsd: 1 } });
  const client = new OpenAI({
    baseURL: sim.baseURL,
    apiKey: 'unused',
    fetch: createX402Fetch({ wallet, budget }),
    maxRetries: 0,
  });
  return { wallet, budget, client };
}

const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const time = {
  type: 'function' as const,
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
};
const answer = {
  type: 'function' as const,
  function: {
    name: 'final_answer',
    parameters: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] },
  },
};

describe('/responses', () => {
  it('answers JSON and SSE, and the budget records exactly what the simulator charged', async () => {
    const { wallet, budget, client } = await setup();
    const json = await client.responses.create({
      model: 'llama-3.3-70b',
      instructions: 'Be brief.',
      input: 'What does x402 pay for?',
      max_output_tokens: 12,
    });
    expect(json.status).toBe('completed');
    expect(json.output_text).toMatch(/Simulated reply/);
    expect(json.usage?.output_tokens).toBeGreaterThan(0);

    const stream = await client.responses.create({ model: 'qwen3-4b', input: 'stream it', stream: true });
    let text = '';
    let completed: any;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toMatch(/Simulated reply/);
    expect(completed.output[0].content[0].text).toBe(text);

    const tool = await client.responses.create({
      model: 'qwen3-4b',
      input: 'weather in Paris?',
      tools: [{ type: 'function', name: 'get_weather', parameters: weather.function.parameters, strict: false }],
      tool_choice: 'required',
    });
    expect(tool.output[0]).toMatchObject({ type: 'function_call', name: 'get_weather' });

    const report = await budget.report();
    expect(report.rows.reduce((n, r) => n + r.calls, 0)).toBe(3);
    expect(report.totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
    expect(sim.ledger.chargesByRequest(wallet.address).has(json.id)).toBe(true);
  });
});

describe('tool calling', () => {
  it('returns one call per tool the user asks for, in JSON and in a stream', async () => {
    const { client } = await setup();
    const messages = [{ role: 'user' as const, content: 'Use get_weather and get_time for Paris' }];
    const json = await client.chat.completions.create({ model: 'qwen3-4b', messages, tools: [weather, time] });
    const names = json.choices[0]!.message.tool_calls!.map((c) => (c.type === 'function' ? c.function.name : ''));
    expect(names).toEqual(['get_weather', 'get_time']);

    const stream = await client.chat.completions.create({
      model: 'qwen3-4b',
      messages,
      tools: [weather, time],
      stream: true,
    });
    const calls: { name: string; args: string }[] = [];
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[d.index] ??= { name: '', args: '' };
        calls[d.index]!.name += d.function?.name ?? '';
        calls[d.index]!.args += d.function?.arguments ?? '';
      }
    }
    expect(calls.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    expect(JSON.parse(calls[0]!.args).city).toBeTypeOf('string');

    const single = await client.chat.completions.create({
      model: 'qwen3-4b',
      messages,
      tools: [weather, time],
      parallel_tool_calls: false,
    });
    expect(single.choices[0]!.message.tool_calls).toHaveLength(1);
  });

  it('honours tool_choice: required after a tool result, a named function, and none', async () => {
    const { client } = await setup();
    const afterTool = [
      { role: 'user' as const, content: 'weather in Paris, then answer' },
      {
        role: 'assistant' as const,
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool' as const, tool_call_id: 'call_1', content: 'sunny' },
    ];
    const auto = await client.chat.completions.create({
      model: 'qwen3-4b',
      messages: afterTool,
      tools: [weather, answer],
    });
    expect(auto.choices[0]!.finish_reason).toBe('stop'); // auto: the model answers in text after a tool result

    const required = await client.chat.completions.create({
      model: 'qwen3-4b',
      messages: afterTool,
      tools: [answer],
      tool_choice: 'required',
    });
    expect(required.choices[0]!.finish_reason).toBe('tool_calls');
    const call = required.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && JSON.parse(call.function.arguments).summary).toBeTypeOf('string');

    const named = await client.chat.completions.create({
      model: 'qwen3-4b',
      messages: afterTool,
      tools: [weather, answer],
      tool_choice: { type: 'function', function: { name: 'final_answer' } },
    });
    const forced = named.choices[0]!.message.tool_calls!;
    expect(forced.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual(['final_answer']);

    const none = await client.chat.completions.create({
      model: 'qwen3-4b',
      messages: [{ role: 'user', content: 'get_weather for Paris' }],
      tools: [weather],
      tool_choice: 'none',
    });
    expect(none.choices[0]!.message.tool_calls ?? []).toHaveLength(0);
  });
});
