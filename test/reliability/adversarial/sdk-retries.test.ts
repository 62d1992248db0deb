/**
 * Whoever retries, one policy bounds the attempts: the paid fetch adds no retries of its own under an SDK
 * that retries, and a budget refusal is never retried ("Installs everywhere users are" §5).
 */
import Anthropic from '@anthropic-ai/sdk';
import { createVenice } from '@venice-x402/ai-sdk';
import { createBudget, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import * as ai7 from 'ai7';
import OpenAI from 'openai';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Hostile, json, startHostile } from './hostile-server.js';

let server: Hostile;
beforeAll(async () => {
  server = await startHostile((_req, res) => json(res, 503, { error: 'overloaded' }, { 'retry-after': '0' }));
});
afterAll(() => server.close());

const chats = () => server.seen.filter((s) => !s.url.includes('/models')).length;
const baseURL = () => `${server.url}/api/v1`;
const wallet = () => createWallet({ privateKey: generatePrivateKey() }, { baseURL: baseURL() });

it('an always-503 server sees the AI SDK’s attempts only (3), not those times the fetch’s', async () => {
  const venice = createVenice({ wallet: wallet(), baseURL: baseURL(), budget: createBudget() });
  const before = chats();
  await expect(ai7.generateText({ model: venice('qwen3-4b'), prompt: 'hi', maxRetries: 2 })).rejects.toThrow();
  expect(chats() - before).toBe(3);
});

it('an always-503 server sees the OpenAI SDK’s attempts only, and the hold of each is freed', async () => {
  const budget = createBudget({ limits: { totalUsd: 1 } });
  const fetch = createX402Fetch({ wallet: wallet(), baseURL: baseURL(), budget });
  const client = new OpenAI({ baseURL: baseURL(), apiKey: 'unused', fetch, maxRetries: 2 });
  const before = chats();
  await expect(
    client.chat.completions.create({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }] }),
  ).rejects.toMatchObject({ status: 503 });
  expect(chats() - before).toBe(3);
  expect((await budget.report()).windows.find((w) => w.window === 'total')!.reservedUsd).toBe(0);
});

it('a budget refusal under the Anthropic SDK is a non-retried 402 naming the limit', async () => {
  const budget = createBudget({ limits: { dailyUsd: 0 } });
  let attempts = 0;
  const paid = createX402Fetch({ wallet: wallet(), baseURL: server.url, budget, mode: 'payg' });
  const anthropic = new Anthropic({
    baseURL: server.url,
    apiKey: 'unused',
    fetch: (input, init) => {
      attempts++;
      return paid(input, init);
    },
  });
  const before = chats();
  const error = await anthropic.messages
    .create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
    .catch((e) => e);
  expect(error.status).toBe(402);
  expect(error.message).toMatch(/Budget exceeded: global daily limit/);
  expect(attempts).toBe(1);
  expect(chats()).toBe(before);
});
