import Anthropic from '@anthropic-ai/sdk';
import { BudgetExceededError, createBudget, createEstimator, createWallet, type Wallet } from '@venice-x402/core';
import { createX402Fetch, OUTCOME_HEADERS, outcomeOf } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import OpenAI from 'openai';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostile } from './reliability/adversarial/hostile-server.js';

const newWallet = (sim: Simulator) => createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
const usd = (micros: bigint) => Number(micros) / 1e6;

describe('paid fetch: Venice mode over the OpenAI SDK', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.stop());

  async function setup(policy: Parameters<typeof createBudget>[0] = {}) {
    const wallet = newWallet(sim);
    sim.credit(wallet.address, 5);
    const budget = createBudget(policy);
    const fetch = createX402Fetch({ wallet, budget });
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'unused', fetch, maxRetries: 0 });
    return { wallet, budget, fetch, client };
  }

  it('charges the budget exactly what the simulator charged: JSON chat, tool call, stream, embeddings', async () => {
    const { wallet, budget, client } = await setup();
    const charges: number[] = [];
    budget.on('charge', (c) => charges.push(c.costUsd));

    const chat = await client.chat.completions.create({
      model: 'llama-3.3-70b',
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 12,
    });
    expect(chat.choices[0]!.message.content).toMatch(/Simulated reply/);

    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'lookup',
          parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
        },
      },
    ];
    const call = await client.chat.completions.create({
      model: 'qwen3-4b',
      messages: [{ role: 'user', content: 'find it' }],
      tools,
    });
    const toolCall = call.choices[0]!.message.tool_calls![0]!;
    expect(toolCall.type === 'function' && JSON.parse(toolCall.function.arguments).q).toBeTypeOf('string');

    const stream = await client.chat.completions.create({
      model: 'venice-uncensored',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toMatch(/Simulated reply/);

    const emb = await client.embeddings.create({ model: 'text-embedding-bge-m3', input: ['one text', 'two texts'] });
    expect(emb.data).toHaveLength(2);

    // A stream ends for its reader once it is settled: nothing to wait for.
    const simCharged = usd(sim.ledger.totalCharged(wallet.address));
    const report = await budget.report();
    expect(charges).toHaveLength(4);
    expect(report.totalUsd).toBeCloseTo(simCharged, 9);
    const perRequest = sim.ledger.chargesByRequest(wallet.address);
    const local = await budget.store.requests();
    for (const [id, micros] of perRequest) expect(local.get(id)?.micros).toBe(micros);
  });

  it('exposes cost, balance and budget headers without changing the body', async () => {
    const { fetch } = await setup({ limits: { dailyUsd: 1 } });
    const res = await fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    });
    const body = await res.json();
    expect(res.headers.get(OUTCOME_HEADERS.costUsd)).toBe(body.cost.usd.toFixed(6));
    expect(Number(res.headers.get(OUTCOME_HEADERS.balanceUsd))).toBeCloseTo(5 - body.cost.usd, 6);
    expect(Number(res.headers.get(OUTCOME_HEADERS.budgetRemainingUsd))).toBeCloseTo(1 - body.cost.usd, 6);
    expect(res.headers.get(OUTCOME_HEADERS.requestId)).toBe(body.id);
  });

  it('refuses over-budget calls before any request reaches the server, and the SDK does not retry them', async () => {
    const { fetch } = await setup({ limits: { perRequestUsd: 0.001 } });
    let attempts = 0;
    // The SDK's default retries: a refusal must say "budget", name the limit and never be retried.
    const client = new OpenAI({
      baseURL: sim.baseURL,
      apiKey: 'unused',
      fetch: (input, init) => {
        attempts++;
        return fetch(input, init);
      },
    });
    const before = sim.stats.byRoute['/chat/completions'] ?? 0;
    const error = await client.chat.completions
      .create({ model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'x'.repeat(4000) }], max_tokens: 2000 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(402);
    expect(error.message).toMatch(/per-request limit/);
    expect(error.error).toMatchObject({ type: 'budget_exceeded', param: 'perRequest' });
    expect(attempts).toBe(1);
    expect(sim.stats.byRoute['/chat/completions'] ?? 0).toBe(before);
    // Plain fetch callers get the typed error.
    const thrown = await fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'x' }], max_tokens: 2000 }),
    }).catch((e) => e);
    expect(thrown).toBeInstanceOf(BudgetExceededError);
  });

  it('keeps 100 concurrent calls on one wallet within 5 in flight at the server', async () => {
    sim.setFaults([{ kind: 'slow_stream', delayMs: 5 }]);
    try {
      const { fetch, wallet } = await setup();
      sim.stats.maxInFlight = 0;
      const rejectedBefore = sim.stats.rejected.X402_CONCURRENCY_LIMIT ?? 0;
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          const res = await fetch(`${sim.baseURL}/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              model: 'qwen3-4b',
              messages: [{ role: 'user', content: 'x' }],
              max_tokens: 3,
              stream: true,
            }),
          });
          expect(res.status).toBe(200);
          await res.text();
        }),
      );
      expect(sim.stats.maxInFlight).toBeLessThanOrEqual(5);
      expect(sim.stats.rejected.X402_CONCURRENCY_LIMIT ?? 0).toBe(rejectedBefore);
      expect(sim.ledger.chargesByRequest(wallet.address).size).toBe(100);
    } finally {
      sim.setFaults([]);
    }
  });

  it('delivers stream chunks as the server sends them, not buffered', async () => {
    // The server sends its next frame only after the client has read the one before: a buffering client stalls.
    let next = () => {};
    const server = await startHostile(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 5; i++) {
        const read = new Promise<void>((r) => {
          next = r;
        });
        res.write(`data: ${JSON.stringify({ id: 'live', choices: [{ delta: { content: `w${i}` } }] })}\n\n`);
        await read;
      }
      res.end('data: [DONE]\n\n');
    });
    try {
      const baseURL = `${server.url}/api/v1`;
      const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
      const fetch = createX402Fetch({
        wallet,
        baseURL,
        estimator: createEstimator({ baseURL: null, defaultEstimateUsd: 0.001 }),
      });
      const res = await fetch(`${baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'x' }], stream: true }),
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      for (let i = 0; i < 5; i++) {
        expect(decoder.decode((await reader.read()).value)).toContain(`w${i}`);
        next();
      }
      while (!(await reader.read()).done);
    } finally {
      await server.close();
    }
  });

  it('rides out 429, 5xx and connection resets with the budget intact', async () => {
    sim.setFaults([
      { kind: 'rate_limit', count: 2, retryAfterSeconds: 0, route: '/chat/completions' },
      { kind: 'server_error', count: 1, status: 503, route: '/chat/completions' },
      { kind: 'reset', count: 1, route: '/embeddings' },
    ]);
    try {
      const { fetch, budget, wallet } = await setup({ limits: { totalUsd: 1 } });
      // The SDK retries (one policy bounds the attempts: the paid fetch adds none under a Stainless SDK).
      const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'unused', fetch, maxRetries: 4 });
      await client.chat.completions.create({
        model: 'qwen3-4b',
        messages: [{ role: 'user', content: 'a' }],
        max_tokens: 3,
      });
      await client.chat.completions.create({
        model: 'qwen3-4b',
        messages: [{ role: 'user', content: 'b' }],
        max_tokens: 3,
      });
      await client.embeddings.create({ model: 'text-embedding-bge-m3', input: 'c' });
      const report = await budget.report();
      expect(report.totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
      expect(report.windows.find((w) => w.window === 'total')!.reservedUsd).toBe(0);
    } finally {
      sim.setFaults([]);
    }
  });

  it('keeps a cut stream counted at its hold until reconciled, and says what it produced', async () => {
    sim.setFaults([{ kind: 'cut_stream', cutAfterChunks: 3, count: 1, route: '/chat/completions' }]);
    try {
      const { fetch, budget, wallet } = await setup();
      const charges: { source: string; note?: string; ambiguous: boolean }[] = [];
      budget.on('charge', (c) => charges.push(c));
      const res = await fetch(`${sim.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'qwen3-4b',
          messages: [{ role: 'user', content: 'cut me' }],
          max_tokens: 20,
          stream: true,
        }),
      });
      await expect(res.text()).rejects.toThrow();
      const outcome = await outcomeOf(res);
      const billed = usd(sim.ledger.totalCharged(wallet.address));
      expect(billed).toBeGreaterThan(0);
      // Venice may bill the whole generation of a cut stream: the hold stays counted, never less than was billed.
      expect(outcome?.status).toBe('ambiguous');
      expect(outcome!.costUsd!).toBeGreaterThanOrEqual(billed);
      expect((await budget.report()).totalUsd).toBe(outcome!.costUsd);
      expect(charges).toEqual([
        expect.objectContaining({
          source: 'estimate',
          ambiguous: true,
          note: expect.stringMatching(/^stream cut after 3 tokens/),
        }),
      ]);
    } finally {
      sim.setFaults([]);
    }
  });

  it('re-signs once when a sign-in is refused as reused, and never sends the SDK placeholder key', async () => {
    const seen: Headers[] = [];
    const wallet = newWallet(sim);
    sim.credit(wallet.address, 1);
    let first = true;
    const fetch = createX402Fetch({
      wallet,
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        seen.push(headers);
        if (first) {
          first = false;
          // Replay an old header: the server must refuse it as reused.
          const old = await wallet.signIn();
          await globalThis.fetch(`${sim.baseURL}/embeddings`, {
            method: 'POST',
            headers: { 'SIGN-IN-WITH-X': old, 'content-type': 'application/json' },
            body: '{"model":"text-embedding-bge-m3","input":"x"}',
          });
          headers.set('SIGN-IN-WITH-X', old);
          return globalThis.fetch(input, { ...init, headers });
        }
        return globalThis.fetch(input, init);
      },
    });
    const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sk-placeholder', fetch, maxRetries: 0 });
    await client.embeddings.create({ model: 'text-embedding-bge-m3', input: 'y' });
    expect(seen.length).toBe(2);
    for (const h of seen) expect(h.get('authorization')).toBeNull();
  });
});

describe('paid fetch: top-up on the first call (anvil)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ chain: 'anvil' });
  });
  afterAll(() => sim.stop());

  it('tops up an empty wallet once, on-chain, then answers', async () => {
    const wallet: Wallet = newWallet(sim);
    await sim.fund(wallet.address, 20);
    const budget = createBudget({ topUp: { auto: true, amountUsd: 5 } });
    const topups: unknown[] = [];
    budget.on('topup', (t) => topups.push(t));
    const client = new OpenAI({
      baseURL: sim.baseURL,
      apiKey: 'unused',
      fetch: createX402Fetch({ wallet, budget }),
      maxRetries: 0,
    });
    const payeeBefore = await sim.usdcBalance(sim.payTo);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        client.chat.completions.create({
          model: 'qwen3-4b',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 3,
        }),
      ),
    );
    expect(results).toHaveLength(10);
    expect(topups).toHaveLength(1);
    expect(await sim.usdcBalance(wallet.address)).toBe(15_000_000n);
    expect((await sim.usdcBalance(sim.payTo)) - payeeBefore).toBe(5_000_000n);
    expect((topups[0] as { transaction: string }).transaction).toMatch(/^0x[0-9a-f]{64}$/);
    const balance = await wallet.balance();
    expect(balance.balanceUsd).toBeCloseTo(5 - usd(sim.ledger.totalCharged(wallet.address)), 6);
  });

  it('a server answering 402 forever causes at most maxCount top-ups, then a typed error', async () => {
    sim.setFaults([{ kind: 'always_402', route: '/chat/completions' }]);
    try {
      const wallet = newWallet(sim);
      await sim.fund(wallet.address, 100);
      const budget = createBudget({ topUp: { auto: true, amountUsd: 5, maxCount: 2, minIntervalSeconds: 0 } });
      const client = new OpenAI({
        baseURL: sim.baseURL,
        apiKey: 'unused',
        fetch: createX402Fetch({ wallet, budget }),
        maxRetries: 0,
      });
      for (let i = 0; i < 5; i++) {
        const error = await client.chat.completions
          .create({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'x' }] })
          .catch((e) => e);
        expect((error.cause ?? error).code).toBe('PAYMENT_REQUIRED');
      }
      expect(sim.ledger.topUps(wallet.address)).toHaveLength(2);
      expect(await sim.usdcBalance(wallet.address)).toBe(90_000_000n);
    } finally {
      sim.setFaults([]);
    }
  });
});

describe('paid fetch: pay-per-call gateway', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ mode: 'payg' });
  });
  afterAll(() => sim.stop());

  it('pays for Anthropic SDK /v1/messages calls (JSON and stream) and records the payment', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    await sim.fund(wallet.address, 1);
    const budget = createBudget({ limits: { dailyUsd: 0.5 }, signing: { payees: [sim.payTo] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url });
    // The Anthropic SDK appends /v1 itself: the OpenAI-style baseURL is refused with a sentence naming the field.
    const wrong = new Anthropic({ baseURL: sim.baseURL, apiKey: 'unused', fetch, maxRetries: 0 });
    await expect(
      wrong.messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toThrow(/sim\.anthropicBaseURL/);
    const anthropic = new Anthropic({ baseURL: sim.anthropicBaseURL, apiKey: 'unused', fetch, maxRetries: 0 });
    const msg = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(msg.content[0]!.type).toBe('text');
    const stream = anthropic.messages.stream({
      model: 'claude-haiku-4-5',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'stream' }],
    });
    const final = await stream.finalMessage();
    expect(final.content[0]!.type).toBe('text');
    const paid = sim.ledger.paygPayments.filter((p) => p.payer === wallet.address);
    expect(paid).toHaveLength(2);
    const total = paid.reduce((s, p) => s + p.amountMicros, 0n);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(total), 9);
    expect(await sim.usdcBalance(wallet.address)).toBe(1_000_000n - total);
  });

  for (const hostile of ['payTo', 'asset', 'network', 'amount', 'validity'] as const) {
    it(`refuses a hostile ${hostile} quote before signing`, async () => {
      sim.setFaults([{ kind: 'hostile_quote', hostile }]);
      try {
        let signed = 0;
        const base = createWallet({ privateKey: generatePrivateKey() });
        const wallet = createWallet({
          account: {
            address: base.address,
            signMessage: (a) => base.signer.signMessage(a),
            signTypedData: (a) => {
              signed++;
              return base.signer.signTypedData(a);
            },
          },
        });
        const budget = createBudget({ signing: { payees: [sim.payTo] } });
        const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url });
        const res = await fetch(`${sim.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'x' }] }),
        }).catch((e) => e);
        expect(res.code).toBe('QUOTE_REJECTED');
        expect(signed).toBe(0);
        expect((await budget.report()).windows).toEqual([]);
        expect((await budget.store.requests()).size).toBe(0);
      } finally {
        sim.setFaults([]);
      }
    });
  }

  it('pays in one round trip with the quote cache when the price is unchanged', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    await sim.fund(wallet.address, 1);
    const fetch = createX402Fetch({
      wallet,
      budget: createBudget({ signing: { payees: [sim.payTo] } }),
      mode: 'payg',
      baseURL: sim.url,
      quoteCache: true,
    });
    const call = () =>
      fetch(`${sim.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'same' }], max_tokens: 8 }),
      });
    const before = sim.stats.requests;
    expect((await call()).status).toBe(200);
    expect(sim.stats.requests - before).toBe(2);
    for (let i = 0; i < 3; i++) expect((await call()).status).toBe(200);
    expect(sim.stats.requests - before).toBe(5);
  });
});
