/**
 * Video, music and image edits from the AI SDK (issue 27 item 2), under ai@6 and ai@7, against the simulator:
 * each call is held at exactly its quote or catalogue price, the budget's ledger equals the simulator's charges,
 * and the cost (and a job's id) is in `providerMetadata.venice`. Paid-fetch checks of the image edit routes
 * (catalogue price held, not `defaultEstimateUsd`) and of the simulator's strictness are here too.
 */
import { createVenice, JobFailedError, type JobProgress } from '@venice-x402/ai-sdk';
import { type Budget, type ChargeEvent, createBudget, createWallet, reconcile, type Wallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import * as ai6 from 'ai6';
import * as ai7 from 'ai7';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ jobPolls: 1 });
});
afterAll(() => sim.stop());

/** A 1×1 PNG: what an app would pass as an input image. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

function setup(dailyUsd = 2) {
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
  sim.credit(wallet.address, 5);
  const budget = createBudget({ limits: { dailyUsd } });
  const charges: ChargeEvent[] = [];
  budget.on('charge', (e) => charges.push(e));
  const progress: JobProgress[] = [];
  const slept: number[] = [];
  const venice = createVenice({
    wallet,
    budget,
    baseURL: sim.baseURL,
    jobs: {
      sleep: async (ms) => {
        slept.push(ms);
      },
      onProgress: (p) => progress.push(p),
    },
  });
  return { wallet, budget, venice, charges, progress, slept };
}

async function ledgerMatches(budget: Budget, wallet: Wallet) {
  let local = 0n;
  for (const r of (await budget.store.requests()).values()) local += r.micros;
  expect(local).toBe(sim.ledger.totalCharged(wallet.address));
  expect((await budget.report()).windows[0]!.reservedUsd).toBe(0);
}

const versions: [string, typeof ai6][] = [
  ['ai@6', ai6],
  ['ai@7', ai7 as unknown as typeof ai6],
];
for (const [name, ai] of versions) {
  const anyAi = ai as any;
  const generateSpeech = anyAi.generateSpeech ?? anyAi.experimental_generateSpeech;
  const generateVideo = anyAi.experimental_generateVideo;

  describe(`media from the AI SDK under ${name}`, () => {
    it('experimental_generateVideo: one job, held at exactly its quote; cost and job id in the metadata', async () => {
      const { wallet, budget, venice, charges, progress, slept } = setup();
      const result = await generateVideo({
        model: venice.video('wan-2.5-preview-text-to-video'),
        prompt: 'A gondola at sunset',
        duration: 10,
        resolution: '1920x1080',
        aspectRatio: '16:9',
      });
      expect(result.video.mediaType).toBe('video/mp4');
      expect(Buffer.from(result.video.uint8Array).toString('latin1', 4, 8)).toBe('ftyp');
      const meta = result.providerMetadata.venice as Record<string, unknown>;
      expect(meta).toMatchObject({ costUsd: 1.4, queueId: expect.any(String) }); // 10 s at 1080p: $1.40
      expect(charges).toEqual([
        expect.objectContaining({ requestId: meta.queueId, estimateMicros: 1_400_000n, costMicros: 1_400_000n }),
      ]);
      expect(progress.map((p) => p.status)).toEqual(['PROCESSING']);
      expect(slept).toHaveLength(1);
      expect(await venice.jobs.pending()).toEqual([]); // settled: nothing left to resume
      await ledgerMatches(budget, wallet);
    });

    it('a video job over the budget is refused before it is queued; a failed one is refunded', async () => {
      const small = setup(0.1);
      const queued = sim.stats.byRoute['/video/queue'] ?? 0;
      await expect(
        generateVideo({ model: small.venice.video('wan-2.5-preview-text-to-video'), prompt: 'x', duration: 5 }),
      ).rejects.toThrow(/quoted price/);
      expect(sim.stats.byRoute['/video/queue'] ?? 0).toBe(queued);

      const { wallet, budget, venice } = setup();
      sim.setFaults([{ kind: 'job_failure', route: '/video/queue', count: 1 }]);
      const error = await generateVideo({
        model: venice.video('wan-2.5-preview-text-to-video'),
        prompt: 'x',
        duration: 5,
      }).catch((e: unknown) => e);
      sim.setFaults([]);
      expect(error).toBeInstanceOf(JobFailedError);
      expect((error as JobFailedError).refundedUsd).toBe(0.35);
      expect((await budget.report()).totalMicros).toBe(0n);
      await ledgerMatches(budget, wallet);
    });

    it('music through generateSpeech: the audio job at its quote, cost in the metadata', async () => {
      const { wallet, budget, venice, charges } = setup();
      const result = await generateSpeech({
        model: venice.music('elevenlabs-music'),
        text: 'An indie-folk jingle',
        providerOptions: { venice: { duration_seconds: 30 } },
      });
      expect(result.audio.mediaType).toBe('audio/wav');
      const meta = result.providerMetadata.venice as Record<string, unknown>;
      expect(meta).toMatchObject({ costUsd: 0.24, queueId: expect.any(String) });
      expect(charges[0]).toMatchObject({ estimateMicros: 240_000n, costMicros: 240_000n });
      await ledgerMatches(budget, wallet);
    });

    it('generateImage with input images: edit, multi-edit, upscale and background removal at catalogue prices', async () => {
      const { wallet, budget, venice, charges } = setup();
      const cases = [
        { model: venice.image('qwen-edit'), prompt: { images: [PNG], text: 'make it blue' }, micros: 40_000n },
        { model: venice.image('qwen-edit'), prompt: { images: [PNG, PNG], text: 'merge them' }, micros: 40_000n },
        { model: venice.upscale(), prompt: { images: [PNG] }, micros: 20_000n },
        {
          model: venice.upscale(),
          prompt: { images: [PNG] },
          providerOptions: { venice: { scale: 4 } },
          micros: 80_000n,
        },
        { model: venice.backgroundRemoval(), prompt: { images: [PNG] }, micros: 25_000n },
      ];
      const routes = [
        '/image/edit',
        '/image/multi-edit',
        '/image/upscale',
        '/image/upscale',
        '/image/background-remove',
      ];
      for (const [i, { micros, ...args }] of cases.entries()) {
        const result = await ai.generateImage(args as Parameters<typeof ai.generateImage>[0]);
        expect(result.image.mediaType).toBe('image/png');
        const [entry] = (result.providerMetadata.venice as { images: Record<string, number>[] }).images;
        expect(entry!.costUsd).toBe(Number(micros) / 1e6);
        expect(charges[i]).toMatchObject({ route: routes[i], estimateMicros: micros, costMicros: micros });
      }
      await ledgerMatches(budget, wallet);
    });

    it('image edits refuse a call without the images they need, before anything is sent', async () => {
      const { venice } = setup();
      const before = sim.stats.requests;
      await expect(ai.generateImage({ model: venice.upscale(), prompt: { images: [PNG, PNG] } })).rejects.toThrow(
        /exactly 1 input image/,
      );
      await expect(
        ai.generateImage({ model: venice.image('qwen-edit'), prompt: { images: [PNG, PNG, PNG, PNG], text: 'x' } }),
      ).rejects.toThrow(/1 to 3 input images/);
      expect(sim.stats.requests).toBe(before);
    });
  });
}

describe('image edit routes through the paid fetch', () => {
  const post = (body: unknown) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const image = PNG.toString('base64');

  it('holds exactly the catalogue price of each edit, not defaultEstimateUsd, and commits what was charged', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 5);
    const budget = createBudget({ limits: { dailyUsd: 1 }, defaultEstimateUsd: 0.5 });
    const charges: ChargeEvent[] = [];
    budget.on('charge', (e) => charges.push(e));
    const fetch = createX402Fetch({ wallet, budget });
    const calls: [string, unknown, bigint][] = [
      ['/image/upscale', { image, scale: 2 }, 20_000n],
      ['/image/upscale', { image, scale: 3 }, 80_000n],
      ['/image/edit', { prompt: 'blue', image }, 40_000n],
      ['/image/multi-edit', { prompt: 'merge', images: [image, 'https://example.com/a.png'] }, 40_000n],
      ['/image/background-remove', { image_url: 'https://example.com/a.png' }, 25_000n],
      ['/image/edit', { model: 'bria-bg-remover', prompt: 'blue', image }, 25_000n],
    ];
    for (const [route, body] of calls) {
      const response = await fetch(`${sim.baseURL}${route}`, post(body));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      await response.arrayBuffer();
    }
    expect(charges.map((c) => [c.route, c.estimateMicros, c.costMicros])).toEqual(
      calls.map(([route, , micros]) => [route, micros, micros]),
    );
    expect(sim.ledger.totalCharged(wallet.address)).toBe(230_000n);
    expect((await budget.report()).totalMicros).toBe(230_000n);
    // Each edit is known by Venice's request id: the ledger reconciles row for row.
    const rec = await reconcile(budget, wallet);
    expect(rec).toMatchObject({ matched: 6, mismatched: [], missingLocally: [], missingRemotely: [] });
  });

  it('the simulator serves the edit routes strictly and charges nothing for a refused body', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 5);
    const fetch = createX402Fetch({ wallet, budget: createBudget() });
    const refused: [string, unknown, number][] = [
      ['/image/upscale', { image, surprise: 1 }, 400],
      ['/image/upscale', { image, scale: 5 }, 400],
      ['/image/upscale', { scale: 2 }, 400],
      ['/image/upscale', { image: 'not base64!' }, 400],
      ['/image/edit', { image }, 400],
      ['/image/edit', { prompt: 'x'.repeat(1501), image }, 400],
      ['/image/edit', { model: 'venice-sd35', prompt: 'x', image }, 404],
      ['/image/multi-edit', { prompt: 'x', images: [image, image, image, image] }, 400],
      ['/image/background-remove', { image, image_url: 'https://example.com/a.png' }, 400],
      ['/image/background-remove', {}, 400],
    ];
    for (const [route, body, status] of refused) {
      const response = await fetch(`${sim.baseURL}${route}`, post(body));
      expect([route, response.status]).toEqual([route, status]);
      await response.arrayBuffer();
    }
    expect(sim.ledger.totalCharged(wallet.address)).toBe(0n);
  });
});
