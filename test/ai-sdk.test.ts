import { createVenice, venice as defaultVenice } from '@venice-x402/ai-sdk';
import { BudgetExceededError, createBudget, createWallet } from '@venice-x402/core';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import * as ai6 from 'ai6';
import * as ai7 from 'ai7';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKeys: { 'sk-venice-test': 5 } });
});
afterAll(() => sim.stop());

const usd = (micros: bigint) => Number(micros) / 1e6;

function walletProvider(policy: Parameters<typeof createBudget>[0] = {}, scope?: string) {
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
  sim.credit(wallet.address, 5);
  const budget = createBudget(policy);
  return { venice: createVenice({ wallet, budget, baseURL: sim.baseURL, scope }), wallet, budget };
}

// The same suite runs against both major versions of the AI SDK.
const versions: [string, typeof ai6][] = [
  ['ai@6', ai6],
  ['ai@7', ai7 as unknown as typeof ai6], // same call shapes; typed as one to keep the suite shared
];
for (const [name, ai] of versions) {
  const anyAi = ai as any;
  const generateSpeech = anyAi.generateSpeech ?? anyAi.experimental_generateSpeech;
  const transcribe = anyAi.transcribe ?? anyAi.experimental_transcribe;

  describe(`AI SDK provider under ${name}`, () => {
    it('generateText: cost metadata equals the simulator charge', async () => {
      const { venice, wallet } = walletProvider({ limits: { dailyUsd: 1 } });
      const result = await ai.generateText({ model: venice('llama-3.3-70b'), prompt: 'Say hi', maxOutputTokens: 12 });
      expect(result.text).toMatch(/Simulated reply/);
      const meta = result.providerMetadata?.venice as Record<string, number>;
      expect(meta.costUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
      expect(meta.balanceRemainingUsd).toBeCloseTo(5 - meta.costUsd!, 6);
      expect(meta.budgetRemainingUsd).toBeCloseTo(1 - meta.costUsd!, 6);
    });

    it('an auto top-up during a call shows as that call’s paymentTx, JSON and stream', async () => {
      for (const streaming of [false, true]) {
        const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
        await sim.fund(wallet.address, 20); // USDC, but no Venice balance yet
        const budget = createBudget({ topUp: { auto: true, amountUsd: 5 } });
        const venice = createVenice({ wallet, budget, baseURL: sim.baseURL });
        const args = { model: venice('qwen3-4b'), prompt: 'top me up', maxOutputTokens: 4 };
        const meta = (
          streaming ? await ai.streamText(args).providerMetadata : (await ai.generateText(args)).providerMetadata
        )?.venice as Record<string, string>;
        const topUp = sim.ledger.topUps(wallet.address);
        expect(topUp).toHaveLength(1);
        expect(meta.paymentTx).toMatch(/^0x[0-9a-f]{64}$/);
      }
    });

    it('streamText with tools runs a multi-step loop and reports cost on finish', async () => {
      const { venice, budget, wallet } = walletProvider();
      const calls: unknown[] = [];
      const result = ai.streamText({
        model: venice('qwen3-4b'),
        prompt: 'What is the weather in Paris?',
        tools: {
          weather: ai.tool({
            description: 'Weather for a city',
            inputSchema: z.object({ city: z.string(), days: z.number().int().min(1).max(7) }),
            execute: async (input: { city: string; days: number }) => {
              calls.push(input);
              return { forecast: 'sunny' };
            },
          }),
        },
        stopWhen: ai.stepCountIs(3),
      });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      expect(calls).toHaveLength(1);
      expect(text).toMatch(/tool result/);
      expect((await result.steps).length).toBe(2);
      const meta = (await result.providerMetadata)?.venice as Record<string, number | string>;
      expect(meta.costUsd).toBeGreaterThan(0);
      expect(meta.requestId).toMatch(/^chatcmpl-/);
      expect(sim.ledger.chargesByRequest(wallet.address).has(meta.requestId as string)).toBe(true);
      // The balance after this stream (the header is read at its start; its cost comes at its end).
      expect(meta.balanceRemainingUsd).toBeCloseTo(5 - usd(sim.ledger.totalCharged(wallet.address)), 6);
      expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
    });

    it('a multi-step tool loop reports the run’s total where users look: result, onFinish, last step', async () => {
      for (const streaming of [false, true]) {
        const { venice, wallet } = walletProvider({ limits: { dailyUsd: 1 } });
        const weather = ai.tool({
          description: 'Weather for a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async () => ({ forecast: 'sunny' }),
        });
        let finished: { providerMetadata?: Record<string, any> } | undefined;
        const args = {
          model: venice('qwen3-4b'),
          prompt: 'What is the weather in Paris?',
          tools: { weather },
          stopWhen: ai.stepCountIs(3),
          onFinish: (event: any) => {
            finished = event;
          },
        };
        let meta: Record<string, number>;
        let steps: { providerMetadata?: Record<string, any> }[];
        if (streaming) {
          const result = ai.streamText(args);
          await result.consumeStream();
          meta = (await result.providerMetadata)?.venice as Record<string, number>;
          steps = await result.steps;
        } else {
          const result = await ai.generateText(args);
          meta = result.providerMetadata?.venice as Record<string, number>;
          steps = result.steps;
        }
        const charged = [...sim.ledger.chargesByRequest(wallet.address).values()].map(usd);
        expect(steps).toHaveLength(2);
        expect(charged).toHaveLength(2);
        const total = charged[0]! + charged[1]!;
        expect(meta.totalCostUsd).toBeCloseTo(total, 9);
        expect(meta.costUsd).toBeCloseTo(charged[1]!, 9); // the last step's own cost
        expect(finished?.providerMetadata?.venice.totalCostUsd).toBeCloseTo(total, 9);
        expect(steps[0]!.providerMetadata?.venice.totalCostUsd).toBeCloseTo(charged[0]!, 9);
        expect(meta.budgetRemainingUsd).toBeCloseTo(1 - total, 6);
      }
    });

    it('generateObject returns schema-valid structured output', async () => {
      const { venice } = walletProvider();
      const { object } = await ai.generateObject({
        model: venice('llama-3.3-70b'),
        schema: z.object({ title: z.string(), rating: z.number().min(1).max(5), tags: z.array(z.string()) }),
        prompt: 'Review a film',
      });
      expect(object.rating).toBeGreaterThanOrEqual(1);
      expect(object.tags.length).toBeGreaterThan(0);
    });

    it('sends venice_parameters from typed provider options and rejects unknown ones', async () => {
      const { venice } = walletProvider();
      const seen: unknown[] = [];
      const spy = createVenice({
        wallet: createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL }),
        baseURL: sim.baseURL,
        fetch: async (input, init) => {
          seen.push(JSON.parse(new TextDecoder().decode(init?.body as Uint8Array)));
          return fetch(input, init);
        },
      });
      sim.credit(spy.wallet!.address, 1);
      await ai.generateText({
        model: spy('venice-uncensored:enable_web_search=on'),
        prompt: 'x',
        providerOptions: {
          venice: { veniceParameters: { enableWebSearch: 'auto', includeVeniceSystemPrompt: false } },
        },
      });
      expect(seen[0]).toMatchObject({
        model: 'venice-uncensored:enable_web_search=on',
        venice_parameters: { enable_web_search: 'auto', include_venice_system_prompt: false },
      });
      await expect(
        ai.generateText({
          model: venice('qwen3-4b'),
          prompt: 'x',
          providerOptions: { venice: { veniceParameters: { nope: true } } },
        }),
      ).rejects.toThrow(/veniceParameters/);
    });

    it('embed and embedMany (batched) with cost metadata', async () => {
      const { venice, wallet } = walletProvider();
      const one = await ai.embed({ model: venice.embedding('text-embedding-bge-m3'), value: 'a cat on a mat' });
      expect(one.embedding).toHaveLength(256);
      const many = await ai.embedMany({
        model: venice.embedding('text-embedding-bge-m3'),
        values: Array.from({ length: 3000 }, (_, i) => `doc ${i}`),
      });
      expect(many.embeddings).toHaveLength(3000);
      expect(many.embeddings[2999]).toHaveLength(256);
      const charges = sim.ledger.chargesByRequest(wallet.address);
      expect(charges.size).toBe(3); // 1 + ceil(3000 / 2048)
      // The call's reported cost is the sum of its two requests, not the last batch's.
      const batches = [...charges.values()].slice(1).reduce((a, b) => a + b, 0n);
      expect((many.providerMetadata!.venice as { costUsd: number }).costUsd).toBeCloseTo(usd(batches), 9);
    });

    it('generateImage, speech and transcription', async () => {
      const { venice, wallet } = walletProvider();
      const image = await ai.generateImage({ model: venice.image('venice-sd35'), prompt: 'a cat' });
      expect(image.images[0]!.uint8Array.subarray(1, 4)).toEqual(new Uint8Array([0x50, 0x4e, 0x47]));
      // The AI SDK keeps only `images` of an image model's metadata: the cost is there, per image.
      const charged = [...sim.ledger.chargesByRequest(wallet.address).values()].at(-1)!;
      const perImage = (image.providerMetadata.venice as { images: { costUsd: number; callCostUsd: number }[] }).images;
      expect(perImage[0]!.callCostUsd).toBeCloseTo(usd(charged), 9);
      expect(perImage.reduce((a, i) => a + i.costUsd, 0)).toBeCloseTo(usd(charged), 6);
      const speech = await generateSpeech({
        model: venice.speech('tts-kokoro'),
        text: 'hello there',
        outputFormat: 'wav',
      });
      const wav = speech.audio.uint8Array as Uint8Array;
      expect(Buffer.from(wav.subarray(0, 4)).toString()).toBe('RIFF');
      const transcript = await transcribe({ model: venice.transcription('nvidia/parakeet-tdt-0.6b-v3'), audio: wav });
      expect(transcript.text).toMatch(/transcription/);
    });

    it('refuses over budget with BudgetExceededError and sends nothing', async () => {
      const { venice } = walletProvider({ limits: { perRequestUsd: 0.0001 } });
      const before = sim.stats.byRoute['/chat/completions'] ?? 0;
      const error = await ai
        .generateText({ model: venice('llama-3.3-70b'), prompt: 'x', maxOutputTokens: 4000 })
        .catch((e) => e);
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect(sim.stats.byRoute['/chat/completions'] ?? 0).toBe(before);
    });

    it('two scoped providers share one budget: each scope and the shared cap hold under concurrency', async () => {
      const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
      sim.credit(wallet.address, 5);
      // Each call reserves ≈ $0.00015 (1,000 output tokens × $0.15/M): agent:a fits one at a time, both together two.
      const budget = createBudget({ limits: { totalUsd: 0.0004 }, scopes: { 'agent:a': { totalUsd: 0.0002 } } });
      const a = createVenice({ wallet, budget, baseURL: sim.baseURL, scope: 'agent:a' });
      const b = createVenice({ wallet, budget, baseURL: sim.baseURL, scope: 'agent:b' });
      await budget.remaining(); // nothing reserved yet
      const call = (p: typeof a) =>
        ai.generateText({ model: p('qwen3-4b'), prompt: 'x', maxOutputTokens: 1000 }).then(
          () => 'ok',
          (e) => e.code,
        );
      const outcomes = await Promise.all([call(a), call(a), call(a), call(b), call(b), call(b)]);
      const okA = outcomes.slice(0, 3).filter((o) => o === 'ok').length;
      const ok = outcomes.filter((o) => o === 'ok').length;
      expect(okA).toBe(1);
      expect(ok).toBe(2);
      expect(outcomes.filter((o) => o === 'BUDGET_EXCEEDED')).toHaveLength(4);
      const spent = Object.fromEntries((await budget.report({ by: 'scope' })).rows.map((r) => [r.key, r.spentUsd]));
      expect(spent['agent:a']).toBeLessThanOrEqual(0.0002);
      expect(spent.global).toBeLessThanOrEqual(0.0004);
    });
  });
}

describe('AI SDK provider credentials', () => {
  it('works in API-key mode through the budget', async () => {
    const budget = createBudget();
    const venice = createVenice({ apiKey: 'sk-venice-test', budget, baseURL: sim.baseURL });
    const result = await ai6.generateText({ model: venice('qwen3-4b'), prompt: 'key mode', maxOutputTokens: 4 });
    expect(result.text).toMatch(/Simulated/);
    expect((await budget.report()).rows[0]!.calls).toBe(1);
    expect(venice.wallet).toBeUndefined();
  });

  it('the default instance reads VENICE_WALLET_KEY / VENICE_BASE_URL lazily, and fails clearly without them', async () => {
    const saved = { ...process.env };
    try {
      delete process.env.VENICE_WALLET_KEY;
      delete process.env.VENICE_API_KEY;
      const { createVenice: fresh } = await import('@venice-x402/ai-sdk');
      const missing = fresh();
      await expect(ai6.generateText({ model: missing('qwen3-4b'), prompt: 'x' })).rejects.toThrow(/VENICE_WALLET_KEY/);

      const key = generatePrivateKey();
      process.env.VENICE_WALLET_KEY = key;
      process.env.VENICE_BASE_URL = sim.baseURL;
      const wallet = createWallet({ privateKey: key }, { baseURL: sim.baseURL });
      sim.credit(wallet.address, 1);
      const result = await ai6.generateText({ model: defaultVenice('qwen3-4b'), prompt: 'env', maxOutputTokens: 4 });
      expect(result.text).toMatch(/Simulated/);
      expect(defaultVenice.wallet?.address).toBe(wallet.address);
    } finally {
      process.env = saved;
    }
  });
});
