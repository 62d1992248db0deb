import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BudgetExceededError,
  createBudget,
  createWallet,
  HttpError,
  PolicyDeniedError,
  QuoteRejectedError,
  TimeoutError,
} from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signal } from './helpers/signal.js';
import { ManualClock } from './manual-clock.js';

const usd = (micros: bigint) => Number(micros) / 1e6;
const VIDEO = {
  model: 'wan-2.5-preview-text-to-video',
  prompt: 'A gondola at sunset',
  duration: '5s',
  resolution: '720p',
};
const MUSIC = { model: 'elevenlabs-music', prompt: 'An indie-folk jingle', duration_seconds: 60 };
const post = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('video and music jobs are held at their quote (issue 25 item 7)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.stop());

  function setup(dailyUsd: number) {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 5);
    const budget = createBudget({ limits: { dailyUsd } });
    return { wallet, budget, fetch: createX402Fetch({ wallet, budget }) };
  }

  it('refuses a $0.35 video job under a $0.10 daily cap before it is queued', async () => {
    const { wallet, budget, fetch } = setup(0.1);
    const queued = sim.stats.byRoute['/video/queue'] ?? 0;
    const quoted = sim.stats.byRoute['/video/quote'] ?? 0;
    const error = await fetch(`${sim.baseURL}/video/queue`, post(VIDEO)).catch((e) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.message).toMatch(/up to \$0\.35/);
    expect(error.message).toMatch(/quoted price/);
    expect(sim.stats.byRoute['/video/quote']).toBe(quoted + 1);
    expect(sim.stats.byRoute['/video/queue'] ?? 0).toBe(queued);
    expect(sim.ledger.totalCharged(wallet.address)).toBe(0n);
    expect((await budget.report()).windows[0]!.reservedUsd).toBe(0);
    // A model the policy denies is not even quoted.
    const denied = createX402Fetch({ wallet, budget: createBudget({ models: { deny: ['wan-*'] } }) });
    await expect(denied(`${sim.baseURL}/video/queue`, post(VIDEO))).rejects.toBeInstanceOf(PolicyDeniedError);
    expect(sim.stats.byRoute['/video/quote']).toBe(quoted + 1);
    // A second try is refused the same way: nothing was spent, nothing slipped through.
    await expect(fetch(`${sim.baseURL}/video/queue`, post(VIDEO))).rejects.toBeInstanceOf(BudgetExceededError);
    expect(sim.stats.byRoute['/video/queue'] ?? 0).toBe(queued);
  });

  it('commits exactly what the simulator charged for a video and a music job, by queue id', async () => {
    const { wallet, budget, fetch } = setup(1);
    const video = await (await fetch(`${sim.baseURL}/video/queue`, post(VIDEO))).json();
    expect(video).toEqual({ model: VIDEO.model, queue_id: expect.any(String) });
    const poll = (kind: 'video' | 'audio', queue_id: string) =>
      fetch(`${sim.baseURL}/${kind}/retrieve`, post({ model: kind === 'video' ? VIDEO.model : MUSIC.model, queue_id }));
    const running = await poll('video', video.queue_id);
    expect(await running.json()).toMatchObject({ status: 'PROCESSING', average_execution_time: expect.any(Number) });
    const done = await poll('video', video.queue_id);
    expect(done.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await done.arrayBuffer()).toString('latin1', 4, 8)).toBe('ftyp');
    const cleaned = await fetch(
      `${sim.baseURL}/video/complete`,
      post({ model: VIDEO.model, queue_id: video.queue_id }),
    );
    expect(await cleaned.json()).toEqual({ success: true });
    expect((await poll('video', video.queue_id)).status).toBe(404);

    const music = await (await fetch(`${sim.baseURL}/audio/queue`, post(MUSIC))).json();
    await poll('audio', music.queue_id);
    expect((await poll('audio', music.queue_id)).headers.get('content-type')).toBe('audio/wav');

    const charged = sim.ledger.chargesByRequest(wallet.address);
    expect(charged.get(video.queue_id)).toBe(350_000n);
    expect(charged.get(music.queue_id)).toBe(480_000n);
    const local = await budget.store.requests();
    for (const [id, micros] of charged) expect(local.get(id)?.micros).toBe(micros);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
    expect((await budget.report()).windows[0]!.reservedUsd).toBe(0);
  });
});

describe('a hostile job quote is a typed error and nothing is queued', () => {
  let server: Server;
  let base: string;
  let queued = 0;
  let answer: (res: import('node:http').ServerResponse) => void = () => {};
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/api/v1/video/quote') return answer(res);
        if (req.url === '/api/v1/models?type=all') return res.end('{"data":[]}');
        queued++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"queue_id":"q","model":"m"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const json =
    (body: string, status = 200) =>
    (res: import('node:http').ServerResponse) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  const cases: [string, (res: import('node:http').ServerResponse) => void, (e: unknown) => void][] = [
    ['negative', json('{"quote":-0.35}'), (e) => expect((e as QuoteRejectedError).reason).toBe('amount')],
    ['zero', json('{"quote":0}'), (e) => expect((e as QuoteRejectedError).reason).toBe('amount')],
    ['huge', json('{"quote":1e12}'), (e) => expect((e as QuoteRejectedError).reason).toBe('amount')],
    ['tiny', json('{"quote":5e-324}'), (e) => expect((e as QuoteRejectedError).reason).toBe('amount')],
    ['NaN', json('{"quote":NaN}'), (e) => expect((e as QuoteRejectedError).reason).toBe('malformed')],
    ['a string', json('{"quote":"0.35"}'), (e) => expect((e as QuoteRejectedError).reason).toBe('malformed')],
    ['missing', json('{}'), (e) => expect((e as QuoteRejectedError).reason).toBe('malformed')],
    [
      'endless',
      json(`{"pad":"${'x'.repeat(200_000)}","quote":0.01}`),
      (e) => expect(e).toBeInstanceOf(QuoteRejectedError),
    ],
    ['a 500', json('{"error":"down"}', 500), (e) => expect(e).toBeInstanceOf(HttpError)],
    [
      'a redirect',
      (res) => res.writeHead(307, { location: 'http://127.0.0.1:9/' }).end(),
      (e) => expect(e).toBeInstanceOf(HttpError),
    ],
    ['slow (never answers)', () => stalled.resolve(), (e) => expect(e).toBeInstanceOf(TimeoutError)],
  ];
  const stalled = signal();
  for (const [name, serve, check] of cases) {
    it(`quote ${name}`, async () => {
      answer = serve;
      const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: base });
      const budget = createBudget({ limits: { dailyUsd: 100 } });
      // The paid path's clock times the quote out: only the test moving it can end a quote that never comes.
      const clock = new ManualClock();
      const fetch = createX402Fetch({ wallet, budget, clock, timeoutMs: 60_000 });
      const before = queued;
      const pending = fetch(`${base}/video/queue`, post(VIDEO)).catch((e) => e);
      if (serve === cases.at(-1)![1]) {
        await stalled.promise;
        clock.advance(60_000);
      }
      const error = await pending;
      check(error);
      expect(queued).toBe(before);
      expect((await budget.report()).windows[0]!.reservedUsd).toBe(0);
    });
  }
});
