import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { siwxHeader } from './independent-client.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ jobPolls: 2 });
});
afterAll(() => sim.stop());

const VIDEO = { model: 'wan-2.5-preview-text-to-video', prompt: 'A gondola', duration: '5s' };
const MUSIC = { model: 'elevenlabs-music', prompt: 'A jingle', duration_seconds: 60 };

function wallet(usd: number) {
  const account = privateKeyToAccount(generatePrivateKey());
  if (usd > 0) sim.credit(account.address, usd);
  const post = async (path: string, body: unknown, signed = true) =>
    fetch(`${sim.baseURL}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signed ? { 'SIGN-IN-WITH-X': await siwxHeader(account, 'api.venice.ai') } : {}),
      },
      body: JSON.stringify(body),
    });
  return { account, post };
}

describe('simulator: video and music jobs (docs/venice-protocol.md §13.1)', () => {
  it('quotes for free without credentials, strictly', async () => {
    const { post } = wallet(0);
    expect(await (await post('/video/quote', VIDEO, false)).json()).toEqual({ quote: 0.35 });
    expect(
      await (await post('/video/quote', { ...VIDEO, resolution: '1080p', duration: '10s' }, false)).json(),
    ).toEqual({
      quote: 1.4,
    });
    expect(await (await post('/audio/quote', MUSIC, false)).json()).toEqual({ quote: 0.48 });
    expect((await post('/video/quote', { ...VIDEO, duration: '7s' }, false)).status).toBe(400);
    expect((await post('/video/quote', { ...VIDEO, surprise: 1 }, false)).status).toBe(400);
    expect((await post('/video/quote', { ...VIDEO, model: 'elevenlabs-music' }, false)).status).toBe(404);
    expect((await post('/audio/quote', { ...MUSIC, duration_seconds: -1 }, false)).status).toBe(400);
  });

  it('charges the quote when a job is queued, runs it, delivers once and deletes on complete', async () => {
    const { account, post } = wallet(1);
    expect((await post('/video/queue', VIDEO, false)).status).toBe(402); // case A: credentials needed
    const queued = await post('/video/queue', VIDEO);
    const { queue_id } = await queued.json();
    expect(sim.ledger.chargesByRequest(account.address).get(queue_id)).toBe(350_000n);
    for (let i = 0; i < 2; i++) {
      const running = await post('/video/retrieve', { model: VIDEO.model, queue_id });
      expect(await running.json()).toMatchObject({ status: 'PROCESSING', execution_duration: expect.any(Number) });
    }
    const done = await post('/video/retrieve', { model: VIDEO.model, queue_id });
    expect(done.headers.get('content-type')).toBe('video/mp4');
    // Another wallet cannot see the job; complete deletes it; polling and clean-up charge nothing.
    const stranger = wallet(1);
    expect((await stranger.post('/video/retrieve', { model: VIDEO.model, queue_id })).status).toBe(404);
    expect((await post('/video/complete', { model: VIDEO.model, queue_id })).status).toBe(200);
    expect((await post('/video/retrieve', { model: VIDEO.model, queue_id })).status).toBe(404);
    expect(sim.ledger.totalCharged(account.address)).toBe(350_000n);
  });

  it('gives a private model job a one-time download_url; retrieve then answers JSON only', async () => {
    const { account, post } = wallet(1);
    const model = 'grok-imagine-text-to-video-private';
    const queued = await (await post('/video/queue', { ...VIDEO, model })).json();
    expect(queued.download_url).toMatch(/\/_simulator\/media\//);
    expect((await fetch(queued.download_url)).status).toBe(404); // not ready yet
    for (let i = 0; i < 2; i++) await post('/video/retrieve', { model, queue_id: queued.queue_id });
    const done = await post('/video/retrieve', { model, queue_id: queued.queue_id });
    expect(done.headers.get('content-type')).toMatch(/json/);
    expect((await done.json()).status).toBe('COMPLETED');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const media = await fetch(queued.download_url);
      statuses.push(media.status);
      await media.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 410]); // a few retries of an interrupted download, then gone
    expect(sim.ledger.totalCharged(account.address)).toBe(250_000n);
  });

  it('refuses a job dearer than the balance (case C) and charges nothing', async () => {
    const { account, post } = wallet(0.3);
    const res = await post('/video/queue', VIDEO);
    expect(res.status).toBe(402);
    expect((await res.json()).error).toMatch(/Insufficient USD or Diem balance/);
    expect(sim.ledger.totalCharged(account.address)).toBe(0n);
  });

  it('refunds a job the provider fails or refuses, once, under its queue id', async () => {
    for (const jobFailure of ['provider_error', 'content_policy'] as const) {
      sim.setFaults([{ kind: 'job_failure', route: '/audio/queue', jobFailure, count: 1 }]);
      const { account, post } = wallet(1);
      const { queue_id } = await (await post('/audio/queue', MUSIC)).json();
      expect(sim.ledger.totalCharged(account.address)).toBe(480_000n);
      await post('/audio/retrieve', { model: MUSIC.model, queue_id });
      await post('/audio/retrieve', { model: MUSIC.model, queue_id });
      const failed = await post('/audio/retrieve', { model: MUSIC.model, queue_id });
      expect(failed.status).toBe(jobFailure === 'content_policy' ? 422 : 500);
      await post('/audio/retrieve', { model: MUSIC.model, queue_id });
      const rows = sim.ledger.transactions(account.address).filter((r) => r.requestId === queue_id);
      expect(rows.map((r) => r.type).sort()).toEqual(['CHARGE', 'REFUND']);
      expect(sim.ledger.totalCharged(account.address)).toBe(0n);
    }
    sim.setFaults([]);
  });
});
