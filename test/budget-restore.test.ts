/**
 * A wiped shared store (a Redis that lost its data) is rebuilt from Venice's own record of the wallet's charges:
 * the limits count what was spent before, in the windows it was spent in, and nothing is counted twice.
 */
import { BudgetExceededError, createBudget, createWallet, redisStore, restoreFromVenice } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import OpenAI from 'openai';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useRedis } from '../packages/core/test/helpers/budget-stores.js';

let sim: Simulator;
const redis = useRedis();
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.stop());

it('rebuilds the windows of a wiped Redis budget from /x402/transactions, once', async () => {
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
  sim.credit(wallet.address, 5);
  const policy = { limits: { dailyUsd: 0.004 } };
  const budget = createBudget(policy, { store: redisStore({ client: redis.client, prefix: 'restore' }) });
  const openai = new OpenAI({
    baseURL: sim.baseURL,
    apiKey: 'unused',
    fetch: createX402Fetch({ wallet, budget }),
    maxRetries: 0,
  });
  for (let i = 0; i < 5; i++)
    await openai.chat.completions.create({
      model: 'llama-3.3-70b',
      messages: [{ role: 'user', content: `question ${i}` }],
      max_tokens: 16,
    });
  const charged = Number(sim.ledger.totalCharged(wallet.address)) / 1e6;
  expect((await budget.report()).totalUsd).toBeCloseTo(charged, 9);

  await redis.client.flushall(); // the store is wiped: the budget would start again from zero
  const wiped = createBudget(policy, { store: redisStore({ client: redis.client, prefix: 'restore' }) });
  expect((await wiped.report()).totalUsd).toBe(0);

  const report = await restoreFromVenice(wiped, wallet);
  expect(report).toMatchObject({ restored: 5, known: 0, skipped: 0 });
  expect(report.restoredUsd).toBeCloseTo(charged, 9);
  expect((await wiped.report()).totalUsd).toBeCloseTo(charged, 9);
  const today = (await wiped.report()).windows.find((w) => w.window === 'daily')!;
  expect(today.spentUsd).toBeCloseTo(charged, 9); // counted in today's window, where it was spent
  // The daily limit holds again: what is left is the limit minus the restored spend.
  await expect(
    wiped.reserve({ estimateMicros: BigInt(Math.round((0.004 - charged) * 1e6) + 1) }),
  ).rejects.toBeInstanceOf(BudgetExceededError);
  // Idempotent: a second restore finds every charge known.
  expect(await restoreFromVenice(wiped, wallet)).toMatchObject({ restored: 0, known: 5 });
  expect((await wiped.report()).totalUsd).toBeCloseTo(charged, 9);
});
