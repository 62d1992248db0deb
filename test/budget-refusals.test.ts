/**
 * Budget refusals as a user of the paid fetch meets them, against the simulator (issues 26.4 and 26.7): a top-up
 * that paid nothing does not block the next one, and a denied model is its own non-retryable refusal.
 */
import { createBudget, createWallet, PolicyDeniedError } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import OpenAI from 'openai';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.stop());

const newWallet = () => createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
const hi = { model: 'qwen3-4b', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 3 };

it('a top-up refused for insufficient USDC uses neither maxCount nor minInterval: after funding the next one runs', async () => {
  const wallet = newWallet(); // no USDC, no Venice balance
  const budget = createBudget({ topUp: { auto: true, amountUsd: 5, maxCount: 1, minIntervalSeconds: 3600 } });
  const client = new OpenAI({
    baseURL: sim.baseURL,
    apiKey: 'unused',
    fetch: createX402Fetch({ wallet, budget }),
    maxRetries: 0,
  });
  const failed = await client.chat.completions.create(hi).catch((e) => e);
  expect(String(failed.cause?.message ?? failed.message)).toMatch(/insufficient USDC/);
  expect(sim.ledger.topUps(wallet.address)).toHaveLength(0);

  await sim.fund(wallet.address, 20);
  const answer = await client.chat.completions.create(hi);
  expect(answer.choices[0]!.message.content).toBeTruthy();
  expect(sim.ledger.topUps(wallet.address)).toHaveLength(1);
});

it('a denied model is a POLICY_DENIED refusal that the SDK does not retry, and a typed error for plain fetch', async () => {
  const wallet = newWallet();
  sim.credit(wallet.address, 1);
  const budget = createBudget({ models: { deny: ['qwen3-*'] } });
  const paidFetch = createX402Fetch({ wallet, budget });
  let attempts = 0;
  const client = new OpenAI({
    baseURL: sim.baseURL,
    apiKey: 'unused',
    fetch: (input, init) => {
      attempts++;
      return paidFetch(input, init);
    },
  }); // the SDK's default retries
  const before = sim.stats.byRoute['/chat/completions'] ?? 0;
  const error = await client.chat.completions.create(hi).catch((e) => e);
  expect(error).toBeInstanceOf(OpenAI.APIError);
  expect(error.status).toBe(402);
  expect(error.error).toMatchObject({ type: 'policy_denied', code: 'POLICY_DENIED' });
  expect(attempts).toBe(1);
  expect(sim.stats.byRoute['/chat/completions'] ?? 0).toBe(before);
  const thrown = await paidFetch(`${sim.baseURL}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify(hi),
  }).catch((e) => e);
  expect(thrown).toBeInstanceOf(PolicyDeniedError);
});
