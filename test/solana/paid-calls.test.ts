import { createKeyPairSignerFromBytes } from '@solana/kit';
import { createVenice } from '@venice-x402/ai-sdk';
import { createBudget, createWallet, QuoteRejectedError, SOLANA_NETWORK } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { ChatVeniceX402 } from '@venice-x402/langchain';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generateText } from 'ai6';
import OpenAI from 'openai';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileDiscovery } from './hostile-fetch.js';
import { newSolanaKey } from './keys.js';

const usd = (micros: bigint) => Number(micros) / 1e6;

describe('Solana wallet through the unchanged adapters (Venice mode)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ solana: true });
  });
  afterAll(() => sim?.stop());

  it('AI SDK generateText: signs in with Ed25519, auto-tops-up in USDC on Solana, then pays the call', async () => {
    const wallet = createWallet(
      { solanaPrivateKey: newSolanaKey().secretBase58 },
      { baseURL: sim.baseURL, solanaRpcUrl: sim.solanaRpcUrl },
    );
    await sim.fundSolana(wallet.address, 20);
    const budget = createBudget({
      limits: { dailyUsd: 1 },
      topUp: { auto: true, amountUsd: 5, maxCount: 1 },
    });
    const topUps: unknown[] = [];
    budget.on('topup', (e) => topUps.push(e));
    const venice = createVenice({ wallet, budget, baseURL: sim.baseURL });

    const result = await generateText({ model: venice('llama-3.3-70b'), prompt: 'Say hi', maxOutputTokens: 12 });
    expect(result.text).toMatch(/Simulated reply/);
    expect(topUps).toHaveLength(1);
    expect(await sim.solanaUsdcBalance(wallet.address)).toBe(15_000_000n); // 5 USDC moved on the SVM
    const [row] = sim.ledger.topUps(wallet.address);
    expect(row?.amountMicros).toBe(5_000_000n);
    const meta = result.providerMetadata?.venice as Record<string, number>;
    expect(meta.costUsd).toBeGreaterThan(0);
    expect(meta.costUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
    expect(meta.balanceRemainingUsd).toBeCloseTo(5 - meta.costUsd!, 6);
    expect((await budget.report()).totalUsd).toBeCloseTo(meta.costUsd!, 9);
  });

  it('LangChain ChatVeniceX402 takes the Solana wallet as it is', async () => {
    const wallet = createWallet({ solanaPrivateKey: newSolanaKey().secretBase58 }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 1);
    const model = new ChatVeniceX402({ model: 'qwen3-4b', wallet, baseURL: sim.baseURL, maxTokens: 8 });
    const msg = await model.invoke('Hello');
    expect(msg.content).toMatch(/Simulated reply/);
    expect(msg.response_metadata.costUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
  });
});

describe('Solana wallet on a pay-per-call gateway', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ mode: 'payg', solana: true });
  });
  afterAll(() => sim?.stop());

  const chat = (fetchImpl: typeof fetch) =>
    new OpenAI({ baseURL: sim.baseURL, apiKey: 'unused', fetch: fetchImpl, maxRetries: 0 }).chat.completions.create({
      model: 'qwen3-4b',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 8,
    });

  it('advertises USDC on Base and on Solana, and a Solana wallet pays with an SPL transfer on the SVM', async () => {
    const quote = await fetch(`${sim.baseURL}/chat/completions`, { method: 'POST', body: '{"model":"qwen3-4b"}' });
    const accepts = ((await quote.json()) as { accepts: { network: string; extra: { feePayer?: string } }[] }).accepts;
    expect(accepts.map((a) => a.network)).toEqual(['eip155:8453', SOLANA_NETWORK]);
    expect(accepts[1]!.extra.feePayer).toBe(sim.solana!.feePayer.address);

    const wallet = createWallet({ solanaPrivateKey: newSolanaKey().secretBase58 }, { solanaRpcUrl: sim.solanaRpcUrl });
    await sim.fundSolana(wallet.address, 1);
    const budget = createBudget({ limits: { dailyUsd: 0.5 } });
    const payToBefore = await sim.solanaUsdcBalance(sim.solana!.payTo);
    const paid = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url });
    const first = await chat(paid);
    const second = await chat(paid);
    expect(first.choices[0]!.message.content).toMatch(/Simulated reply/);
    expect(second.id).not.toBe(first.id);

    const payments = sim.ledger.paygPayments.filter((p) => p.payer === wallet.address);
    expect(payments).toHaveLength(2);
    const total = payments.reduce((sum, p) => sum + p.amountMicros, 0n);
    expect(total).toBeGreaterThan(0n);
    for (const p of payments) expect(sim.solana!.status(p.transaction)).toEqual({ ok: true });
    expect(await sim.solanaUsdcBalance(wallet.address)).toBe(1_000_000n - total);
    expect((await sim.solanaUsdcBalance(sim.solana!.payTo)) - payToBefore).toBe(total);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(total), 9);
  });

  it('a replayed per-call payment is refused, not served again', async () => {
    const wallet = createWallet({ solanaPrivateKey: newSolanaKey().secretBase58 }, { solanaRpcUrl: sim.solanaRpcUrl });
    await sim.fundSolana(wallet.address, 1);
    const sent: string[] = [];
    const recording: typeof fetch = (input, init) => {
      const value = new Headers(init?.headers).get('payment-signature');
      if (value) sent.push(value);
      return fetch(input, init);
    };
    await chat(createX402Fetch({ wallet, budget: createBudget({}), mode: 'payg', baseURL: sim.url, fetch: recording }));
    expect(sent).toHaveLength(1);
    const balance = await sim.solanaUsdcBalance(wallet.address);
    const replay = await fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'PAYMENT-SIGNATURE': sent[0]! },
      body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
    });
    expect(replay.status).toBe(402);
    expect(sim.ledger.paygPayments.filter((p) => p.payer === wallet.address)).toHaveLength(1);
    expect(await sim.solanaUsdcBalance(wallet.address)).toBe(balance);
  });

  it('an EVM wallet on the same gateway still pays on Base', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    await sim.fund(wallet.address, 1);
    const paid = createX402Fetch({ wallet, budget: createBudget({}), mode: 'payg', baseURL: sim.url });
    await chat(paid);
    const [payment] = sim.ledger.paygPayments.filter((p) => p.payer === wallet.address);
    expect(payment?.transaction).toMatch(/^0x/);
  });

  it('refuses a per-call quote over the signing cap, or to a stranger, before signing', async () => {
    const kit = await createKeyPairSignerFromBytes(newSolanaKey().secret);
    let signed = 0;
    const solanaSigner = {
      address: kit.address,
      signMessages: kit.signMessages,
      signTransactions: (txs: Parameters<typeof kit.signTransactions>[0]) => {
        signed += txs.length;
        return kit.signTransactions(txs);
      },
    };
    const counting = createWallet({ solanaSigner }, { solanaRpcUrl: sim.solanaRpcUrl });
    await sim.fundSolana(counting.address, 1);
    const stranger = newSolanaKey().address;
    const onV1 = (url: string) => url.includes('/v1/');
    const untouched = hostileDiscovery(() => {}, onV1);
    const hostile = hostileDiscovery((e) => void (e.payTo = stranger), onV1);
    const cases: [Parameters<typeof createBudget>[0], typeof fetch][] = [
      [{ signing: { maxPaymentUsd: 0.000001 } }, untouched.fetch],
      [{ signing: { payees: [sim.solana!.payTo] } }, hostile.fetch],
    ];
    for (const [policy, fetchImpl] of cases) {
      const budget = createBudget(policy);
      const paid = createX402Fetch({ wallet: counting, budget, mode: 'payg', baseURL: sim.url, fetch: fetchImpl });
      const error = await paid(`${sim.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
      }).catch((e) => e);
      expect(error).toBeInstanceOf(QuoteRejectedError);
      expect((await budget.report()).windows).toEqual([]);
    }
    expect(signed).toBe(0);
    expect([...untouched.paymentsSent, ...hostile.paymentsSent]).toEqual([]);
    expect(await sim.solanaUsdcBalance(counting.address)).toBe(1_000_000n);
    // The same wallet and gateway with a sane policy: it signs and pays (so the counter above could count).
    await chat(createX402Fetch({ wallet: counting, budget: createBudget({}), mode: 'payg', baseURL: sim.url }));
    expect(signed).toBe(1);
  });
});
