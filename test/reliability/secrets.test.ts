/**
 * A canary private key and API key go through every adapter and every failure path; then every error,
 * log line, serialisation and inspection is scanned. Zero hits allowed.
 */
import { inspect } from 'node:util';
import { createVenice } from '@venice-x402/ai-sdk';
import { createBudget, createWallet } from '@venice-x402/core';
import { base58Encode } from '@venice-x402/core/internal';
import { createX402Fetch } from '@venice-x402/fetch';
import { ChatVeniceX402, VeniceX402Embeddings } from '@venice-x402/langchain';
import { startSimulator } from '@venice-x402/simulator';
import { generateText, streamText } from 'ai6';
import OpenAI from 'openai';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { expect, it, vi } from 'vitest';
import { newSolanaKey } from '../solana/keys.js';

const CANARY_KEY = generatePrivateKey();
const CANARY_HEX = CANARY_KEY.slice(2);
const CANARY_API_KEY = 'vk-canary-7f3c9a1e5b2d4f6a8c0e';

it('no canary key in errors, logs, JSON, inspect, LangChain serialisation or AI SDK metadata', async () => {
  const sim = await startSimulator({ apiKeys: { [CANARY_API_KEY]: 1 } });
  const seen: string[] = [];
  const record = (...xs: unknown[]) => {
    for (const x of xs) seen.push(typeof x === 'string' ? x : inspect(x, { depth: 10, showHidden: true }));
  };
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(record),
  );
  const writes = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')].map((s) =>
    s.mockImplementation(((chunk: unknown) => {
      record(String(chunk));
      return true;
    }) as never),
  );
  const dump = (...xs: unknown[]) => {
    for (const x of xs) {
      try {
        seen.push(JSON.stringify(x) ?? '');
      } catch (error) {
        seen.push(String(error));
      }
      seen.push(inspect(x, { depth: 10, showHidden: true, getters: true }));
    }
  };
  const catchAll = async (p: PromiseLike<unknown>) => {
    try {
      const v = await p;
      dump(v);
    } catch (error) {
      dump(error, (error as Error)?.stack, (error as { cause?: unknown })?.cause);
    }
  };
  try {
    sim.credit(privateKeyToAccount(CANARY_KEY).address, 1);
    const budget = createBudget({ limits: { dailyUsd: 0.5 } });
    const wallet = createWallet({ privateKey: CANARY_KEY }, { baseURL: sim.baseURL });
    const paid = createX402Fetch({ wallet, budget });
    const keyFetch = createX402Fetch({ apiKey: CANARY_API_KEY, budget, baseURL: sim.baseURL });
    dump(wallet, wallet.signer, budget, budget.policy, paid, keyFetch);

    // Plain fetch and the OpenAI SDK, wallet and key, success and failure.
    const openai = new OpenAI({ baseURL: sim.baseURL, apiKey: 'unused', fetch: paid, maxRetries: 0 });
    await catchAll(
      openai.chat.completions.create({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    );
    await catchAll(
      new OpenAI({ baseURL: sim.baseURL, apiKey: 'unused', fetch: keyFetch, maxRetries: 0 }).embeddings.create({
        model: 'text-embedding-bge-m3',
        input: 'x',
      }),
    );
    await catchAll(
      openai.chat.completions.create({
        model: 'qwen3-4b',
        messages: [{ role: 'user', content: 'x'.repeat(100_000) }],
        max_tokens: 100_000,
      }),
    );
    await catchAll(
      createX402Fetch({ wallet, budget, baseURL: 'http://127.0.0.1:1/api/v1', maxRetries: 0 })(
        'http://127.0.0.1:1/api/v1/chat/completions',
        { method: 'POST', body: '{}' },
      ),
    );
    await catchAll(wallet.topUp(5));
    await catchAll(Promise.resolve().then(() => createWallet({ privateKey: `${CANARY_KEY.slice(0, -2)}zz` })));

    // AI SDK: results carry request bodies and headers.
    const venice = createVenice({ privateKey: CANARY_KEY, budget, baseURL: sim.baseURL });
    const veniceKey = createVenice({ apiKey: CANARY_API_KEY, baseURL: sim.baseURL });
    dump(venice, venice('qwen3-4b'), veniceKey, veniceKey.embedding('text-embedding-bge-m3'));
    await catchAll(generateText({ model: venice('qwen3-4b'), prompt: 'hi', maxOutputTokens: 4 }));
    await catchAll(generateText({ model: veniceKey('qwen3-4b'), prompt: 'hi', maxOutputTokens: 4 }));
    const stream = streamText({ model: venice('qwen3-4b'), prompt: 'hi', maxOutputTokens: 4 });
    await catchAll(stream.text);
    dump(await stream.request, await stream.response, await stream.providerMetadata);
    await catchAll(
      generateText({
        model: createVenice({ privateKey: CANARY_KEY, baseURL: 'http://127.0.0.1:1/api/v1' })('qwen3-4b'),
        prompt: 'x',
        maxRetries: 0,
      }),
    );

    // LangChain: fields, toJSON, callbacks, errors.
    const chat = new ChatVeniceX402({
      model: 'qwen3-4b',
      privateKey: CANARY_KEY,
      baseURL: sim.baseURL,
      maxTokens: 4,
      callbacks: [{ handleLLMStart: (...a: unknown[]) => dump(a), handleLLMEnd: (...a: unknown[]) => dump(a) }],
    });
    const chatKey = new ChatVeniceX402({
      model: 'qwen3-4b',
      apiKey: CANARY_API_KEY,
      baseURL: sim.baseURL,
      maxTokens: 4,
    });
    const emb = new VeniceX402Embeddings({ privateKey: CANARY_KEY, baseURL: sim.baseURL });
    dump(chat, chat.toJSON(), chatKey, chatKey.toJSON(), emb, chat.invocationParams());
    await catchAll(chat.invoke('hi'));
    await catchAll(chatKey.invoke('hi'));
    await catchAll(emb.embedQuery('hi'));
    await catchAll(
      new ChatVeniceX402({
        model: 'qwen3-4b',
        privateKey: CANARY_KEY,
        baseURL: 'http://127.0.0.1:1/api/v1',
        maxRetries: 0,
      }).invoke('x'),
    );
  } finally {
    for (const s of [...spies, ...writes]) s.mockRestore();
    await sim.stop();
  }
  const haystack = seen.join('\n');
  expect(seen.length).toBeGreaterThan(40);
  expect(haystack).toContain(privateKeyToAccount(CANARY_KEY).address); // the scan sees the wallet's traces…
  expect(haystack).not.toContain(CANARY_HEX); // …but never its key
  expect(haystack).not.toContain(CANARY_HEX.slice(0, 24));
  expect(haystack).not.toContain(CANARY_API_KEY);
}, 60_000);

it('no Solana canary key in errors, logs, JSON, inspect, payments or adapter objects', async () => {
  const canary = newSolanaKey();
  const forms = {
    secretBase58: canary.secretBase58,
    seedBase58: base58Encode(canary.seed),
    seedHex: Buffer.from(canary.seed).toString('hex'),
    seedBase64: Buffer.from(canary.seed).toString('base64'),
    secretJson: JSON.stringify([...canary.secret]),
    seedJsonPrefix: JSON.stringify([...canary.seed]).slice(1, 40),
  };
  const sim = await startSimulator({ solana: true });
  const payg = await startSimulator({ mode: 'payg', solana: true });
  const seen: string[] = [];
  const record = (...xs: unknown[]) => {
    for (const x of xs) seen.push(typeof x === 'string' ? x : inspect(x, { depth: 10, showHidden: true }));
  };
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(record),
  );
  const dump = (...xs: unknown[]) => {
    for (const x of xs) {
      try {
        seen.push(JSON.stringify(x) ?? '');
      } catch (error) {
        seen.push(String(error));
      }
      seen.push(inspect(x, { depth: 10, showHidden: true, getters: true }));
    }
  };
  const catchAll = async (p: PromiseLike<unknown>) => {
    try {
      dump(await p);
    } catch (error) {
      dump(error, (error as Error)?.stack, (error as { cause?: unknown })?.cause);
    }
  };
  try {
    const budget = createBudget({ limits: { dailyUsd: 1 }, topUp: { auto: true, amountUsd: 5, maxCount: 1 } });
    const wallets = [
      createWallet({ solanaPrivateKey: forms.secretBase58 }, { baseURL: sim.baseURL, solanaRpcUrl: sim.solanaRpcUrl }),
      createWallet({ solanaPrivateKey: forms.seedBase58 }, { baseURL: sim.baseURL, solanaRpcUrl: sim.solanaRpcUrl }),
      createWallet({ solanaPrivateKey: forms.secretJson }, { baseURL: sim.baseURL, solanaRpcUrl: sim.solanaRpcUrl }),
    ];
    const [wallet] = wallets;
    await sim.fundSolana(wallet!.address, 20);
    await payg.fundSolana(wallet!.address, 1);
    dump(...wallets, wallet!.signer, wallet!.signer.transactionSigner, budget);
    record(await wallet!.signIn());

    const paid = createX402Fetch({ wallet: wallet!, budget });
    const openai = new OpenAI({ baseURL: sim.baseURL, apiKey: 'unused', fetch: paid, maxRetries: 0 });
    await catchAll(
      openai.chat.completions.create({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    );
    await catchAll(wallet!.topUp(5));
    await catchAll(wallet!.topUp(50_000)); // refused: above the maximum
    await catchAll(wallet!.balance());
    for (const bad of [
      `${forms.secretBase58.slice(0, -2)}0O`,
      forms.secretBase58.slice(0, 60),
      `${forms.secretJson}]`,
    ]) {
      await catchAll(Promise.resolve().then(() => createWallet({ solanaPrivateKey: bad })));
    }
    const paygFetch = createX402Fetch({ wallet: wallet!, budget, mode: 'payg', baseURL: payg.url });
    await catchAll(
      new OpenAI({ baseURL: payg.baseURL, apiKey: 'unused', fetch: paygFetch, maxRetries: 0 }).chat.completions.create({
        model: 'qwen3-4b',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 4,
      }),
    );

    const venice = createVenice({ wallet: wallet!, budget, baseURL: sim.baseURL });
    dump(venice, venice('qwen3-4b'));
    await catchAll(generateText({ model: venice('qwen3-4b'), prompt: 'hi', maxOutputTokens: 4 }));
    const chat = new ChatVeniceX402({ model: 'qwen3-4b', wallet: wallet!, baseURL: sim.baseURL, maxTokens: 4 });
    dump(chat, chat.toJSON(), chat.invocationParams());
    await catchAll(chat.invoke('hi'));
    await catchAll(
      new ChatVeniceX402({
        model: 'qwen3-4b',
        wallet: wallet!,
        baseURL: 'http://127.0.0.1:1/api/v1',
        maxRetries: 0,
      }).invoke('x'),
    );
  } finally {
    for (const s of spies) s.mockRestore();
    await Promise.all([sim.stop(), payg.stop()]);
  }
  const haystack = seen.join('\n');
  expect(seen.length).toBeGreaterThan(30);
  expect(haystack).toContain(canary.address); // the scan sees the wallet's traces…
  for (const [form, value] of Object.entries(forms)) {
    expect(haystack.includes(value), form).toBe(false); // …but never its key, in any encoding
  }
}, 60_000);
