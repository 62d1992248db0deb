import Anthropic from '@anthropic-ai/sdk';
import { createVenice } from '@venice-x402/ai-sdk';
import { BudgetExceededError, createBudget, createWallet } from '@venice-x402/core';
import { createX402Fetch, OUTCOME_HEADERS, outcomeOf } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import * as ai from 'ai7';
import OpenAI from 'openai';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const usd = (micros: bigint) => Number(micros) / 1e6;
const hi = (model = 'llama-3.3-70b') => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
});

describe('a $0.01-a-day budget makes ordinary Venice calls (issue 26 item 2)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.stop());

  function setup(options: { autoMaxTokens?: boolean } = {}) {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 5);
    const budget = createBudget({ limits: { dailyUsd: 0.01 } });
    return { wallet, budget, fetch: createX402Fetch({ wallet, budget, ...options }) };
  }

  it('answers "hi" without max_tokens: the paid fetch sets the cap the budget can pay for, and says so', async () => {
    const { wallet, budget, fetch } = setup();
    const res = await fetch(`${sim.baseURL}/chat/completions`, hi());
    expect(res.status).toBe(200);
    const cap = Number(res.headers.get(OUTCOME_HEADERS.maxTokens));
    // llama-3.3-70b: $2.80 per 1M output tokens; its whole 8,192-token cap ($0.023) does not fit $0.01.
    expect(cap).toBeGreaterThan(3000);
    expect(cap).toBeLessThan(3572);
    expect((await res.json()).choices[0].message.content).toMatch(/Simulated reply/);
    // Through the OpenAI SDK, streaming too; the ledger matches the simulator's charges.
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'unused', fetch, maxRetries: 0 });
    const reply = await client.chat.completions.create({
      model: 'llama-3.3-70b',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(reply.choices[0]!.message.content).toMatch(/Simulated/);
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    for await (const _ of stream);
    expect(await outcomeOf(response)).toMatchObject({ status: 'charged' }); // settled as its last frame is read
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
  });

  it('answers "hi" through the AI SDK, and providerMetadata.venice says which cap was set', async () => {
    const { wallet } = setup();
    const budget = createBudget({ limits: { dailyUsd: 0.01 } });
    const venice = createVenice({ wallet, budget, baseURL: sim.baseURL });
    const { text, providerMetadata } = await ai.generateText({ model: venice('llama-3.3-70b'), prompt: 'hi' });
    expect(text).toMatch(/Simulated reply/);
    expect(providerMetadata?.venice?.maxTokensSet).toBeGreaterThan(3000);
    // A refusal under the AI SDK names maxOutputTokens.
    const strict = createVenice({
      wallet,
      budget: createBudget({ limits: { dailyUsd: 0.00002 } }),
      baseURL: sim.baseURL,
    });
    const error = await ai.generateText({ model: strict('llama-3.3-70b'), prompt: 'hi' }).catch((e) => e);
    expect(String(error?.message)).toMatch(/maxOutputTokens/);
  });

  it('leaves a call alone when the whole completion cap fits (no rewrite, no header)', async () => {
    const { fetch } = setup();
    const res = await fetch(`${sim.baseURL}/chat/completions`, hi('qwen3-4b')); // 4,096 × $0.15/1M ≈ $0.0006
    expect(res.status).toBe(200);
    expect(res.headers.get(OUTCOME_HEADERS.maxTokens)).toBeNull();
  });

  it('with autoMaxTokens off, refuses and names max_tokens / maxOutputTokens', async () => {
    const { fetch } = setup({ autoMaxTokens: false });
    const error = await fetch(`${sim.baseURL}/chat/completions`, hi()).catch((e) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.message).toMatch(/max_tokens/);
    expect(error.message).toMatch(/maxOutputTokens/);
    expect(error.details).toMatchObject({ limit: 'daily', basis: 'model-cap' });
  });

  it('names defaultEstimateUsd when an unpriced call is refused', async () => {
    const { fetch } = setup();
    const error = await fetch(`${sim.baseURL}/chat/completions`, hi('not-in-the-catalogue')).catch((e) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.message).toMatch(/defaultEstimateUsd/);
  });

  it('fits what is left of the day, not the policy limit, once the window is partly spent', async () => {
    const { wallet, budget, fetch } = setup();
    const caps: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${sim.baseURL}/chat/completions`, {
        ...hi(),
        body: JSON.stringify({ model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'x'.repeat(6000) }] }),
      });
      expect(res.status).toBe(200);
      caps.push(Number(res.headers.get(OUTCOME_HEADERS.maxTokens)));
      await res.arrayBuffer();
    }
    expect(caps[1]).toBeLessThan(caps[0]!);
    expect(caps[2]).toBeLessThan(caps[1]!);
    expect((await budget.report()).totalUsd).toBeLessThanOrEqual(0.01);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
  });
});

describe('a $0.002 pay-per-call budget pays its first call (issue 26 item 2)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ mode: 'payg' });
  });
  afterAll(() => sim.stop());

  it('asks the quote with an unpaid request before holding anything, then holds and pays the quote', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    await sim.fund(wallet.address, 1);
    const budget = createBudget({ limits: { dailyUsd: 0.002 }, signing: { payees: [sim.payTo] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url });
    const anthropic = new Anthropic({ baseURL: sim.anthropicBaseURL, apiKey: 'unused', fetch, maxRetries: 0 });
    const msg = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(msg.content[0]!.type).toBe('text');
    const paid = sim.ledger.paygPayments.filter((p) => p.payer === wallet.address);
    expect(paid).toHaveLength(1);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(paid[0]!.amountMicros), 9);
    // The second call holds what the origin last quoted, and the budget still bounds the day.
    await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect((await budget.report()).totalUsd).toBeLessThanOrEqual(0.002);
  });
});

describe('a pay-per-call quote that does not fit the budget', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ mode: 'payg' });
  });
  afterAll(() => sim.stop());

  it('is refused before signing, and the Anthropic SDK gets a non-retried 402 naming the limit', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    await sim.fund(wallet.address, 1);
    const budget = createBudget({ limits: { dailyUsd: 0.0001 }, signing: { payees: [sim.payTo] } });
    let attempts = 0;
    const paid = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url });
    const anthropic = new Anthropic({
      baseURL: sim.anthropicBaseURL,
      apiKey: 'unused',
      fetch: (input, init) => {
        attempts++;
        return paid(input, init);
      },
    });
    const error = await anthropic.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e);
    expect(error.status).toBe(402);
    expect(error.message).toMatch(/Budget exceeded: global daily limit/);
    expect(attempts).toBe(1);
    expect(sim.ledger.paygPayments.filter((p) => p.payer === wallet.address)).toHaveLength(0);
  });
});
