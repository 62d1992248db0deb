/**
 * Video and music jobs as one lifecycle (issue 27 item 1): quote → held at exactly the quote → queue → poll with
 * backoff and progress → download (a private model's one-time download_url kept with the job) → complete →
 * settled once; a failed job is refunded once; a job queued by one process is resumed and settled by another.
 * Against the simulator, through the real paid fetch; polling waits on an injected sleep (no real time passes).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Budget,
  type BudgetStore,
  type ChargeEvent,
  ConfigError,
  createBudget,
  createVeniceJobs,
  createWallet,
  fileStore,
  JobFailedError,
  type JobProgress,
  type RefundEvent,
  reconcile,
  type Wallet,
} from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyReopenableStore, useRedis } from '../packages/core/test/helpers/budget-stores.js';

const VIDEO = { model: 'wan-2.5-preview-text-to-video', prompt: 'A gondola at sunset', duration: '5s' };
const PRIVATE = { ...VIDEO, model: 'grok-imagine-text-to-video-private' };
const MUSIC = { model: 'elevenlabs-music', prompt: 'An indie-folk jingle', duration_seconds: 60 };
const redis = useRedis({ optional: true });

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ jobPolls: 2 });
});
afterAll(() => sim.stop());

/** One process: a budget over `store`, its paid fetch, and the jobs API over them; polls wait on a recorded sleep. */
function processOver(wallet: Wallet, store?: BudgetStore) {
  const budget = createBudget({ limits: { dailyUsd: 2 } }, { store });
  const fetch = createX402Fetch({ wallet, budget });
  const slept: number[] = [];
  const jobs = createVeniceJobs({
    fetch,
    budget,
    baseURL: sim.baseURL,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  return { budget, fetch, jobs, slept };
}

function newWallet(usd = 5) {
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
  sim.credit(wallet.address, usd);
  return wallet;
}

/** The budget's per-request ledger summed: what it believes Venice charged, refunds taken off. */
async function ledgerMicros(budget: Budget) {
  let total = 0n;
  for (const r of (await budget.store.requests()).values()) total += r.micros;
  return total;
}

const retrieve = (wallet: Wallet, queueId: string, model = VIDEO.model) =>
  createX402Fetch({ wallet, budget: createBudget() })(`${sim.baseURL}/video/retrieve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, queue_id: queueId }),
  });

describe('a video or music job runs as one lifecycle', () => {
  it('holds exactly the quote, polls with backoff and progress, downloads, cleans up and charges once', async () => {
    const wallet = newWallet();
    const { budget, jobs, slept } = processOver(wallet);
    expect(await jobs.quote('video', VIDEO)).toBe(0.35);
    const charges: ChargeEvent[] = [];
    budget.on('charge', (e) => charges.push(e));
    const progress: JobProgress[] = [];
    const completes = sim.stats.byRoute['/video/complete'] ?? 0;

    const result = await jobs.run('video', VIDEO, { onProgress: (p) => progress.push(p) });

    expect(Buffer.from(result.media.bytes).toString('latin1', 4, 8)).toBe('ftyp');
    expect(result).toMatchObject({ kind: 'video', model: VIDEO.model, costUsd: 0.35, settled: true });
    expect(result.media.mediaType).toBe('video/mp4');
    // The hold was exactly the quote, and so was the charge, under the queue id.
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ requestId: result.queueId, estimateMicros: 350_000n, costMicros: 350_000n });
    // Two PROCESSING polls, each reported; Venice's typical run time (145 s) stretches the wait to its cap.
    expect(progress.map((p) => [p.status, p.polls, p.averageExecutionTimeMs])).toEqual([
      ['PROCESSING', 1, 145_000],
      ['PROCESSING', 2, 145_000],
    ]);
    expect(progress[0]!.executionDurationMs).toEqual(expect.any(Number));
    expect(slept).toEqual([15_000, 15_000]);
    // Cleaned up on Venice; the record says completed; nothing left to resume.
    expect(sim.stats.byRoute['/video/complete']).toBe(completes + 1);
    expect((await retrieve(wallet, result.queueId)).status).toBe(404);
    expect(await jobs.pending()).toEqual([]);
    expect((await budget.store.jobs!())[0]).toMatchObject({ id: result.queueId, state: 'completed' });
    // The ledger equals the simulator's charges.
    expect(await ledgerMicros(budget)).toBe(sim.ledger.totalCharged(wallet.address));
    const rec = await reconcile(budget, wallet);
    expect(rec).toMatchObject({ matched: 1, mismatched: [], missingLocally: [], missingRemotely: [] });
    expect((await budget.report()).windows[0]!.reservedUsd).toBe(0);
  });

  it('runs a music job through /audio/*', async () => {
    const wallet = newWallet();
    const { budget, jobs } = processOver(wallet);
    const result = await jobs.run('audio', MUSIC);
    expect(result).toMatchObject({ kind: 'audio', costUsd: 0.48, settled: true });
    expect(result.media.mediaType).toBe('audio/wav');
    expect(await ledgerMicros(budget)).toBe(480_000n);
    expect(sim.ledger.totalCharged(wallet.address)).toBe(480_000n);
  });

  it("keeps a private model's one-time download_url with the job and fetches the media from it", async () => {
    const wallet = newWallet();
    const { budget, jobs } = processOver(wallet);
    const queued = await jobs.queue('video', PRIVATE);
    expect(queued.downloadUrl).toMatch(/\/_simulator\/media\//);
    expect((await budget.store.jobs!())[0]).toMatchObject({ id: queued.id, downloadUrl: queued.downloadUrl });
    const result = await jobs.wait(queued.id);
    expect(result.downloadUrl).toBe(queued.downloadUrl);
    expect(result.media.mediaType).toBe('video/mp4');
    expect(Buffer.from(result.media.bytes).toString('latin1', 4, 8)).toBe('ftyp');
    expect(await ledgerMicros(budget)).toBe(sim.ledger.totalCharged(wallet.address));
  });

  it('refunds a failed job once: the budget gets the credit, the ledger equals charges minus refunds', async () => {
    const wallet = newWallet();
    const { budget, jobs } = processOver(wallet);
    const refunds: RefundEvent[] = [];
    budget.on('refund', (e) => refunds.push(e));
    sim.setFaults([{ kind: 'job_failure', route: '/video/queue', count: 1, jobFailure: 'content_policy' }]);
    const queued = await jobs.queue('video', VIDEO);
    sim.setFaults([]);
    expect((await budget.report()).totalMicros).toBe(350_000n);

    const error = await jobs.wait(queued.id).catch((e) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error).toMatchObject({ queueId: queued.id, refundedUsd: 0.35 });
    expect(error.message).toMatch(/content policy/);
    // Asked again (this process or another): the same verdict, no second credit.
    await expect(jobs.wait(queued.id)).rejects.toBeInstanceOf(JobFailedError);
    expect(refunds).toHaveLength(1);
    expect((await budget.report()).totalMicros).toBe(0n);
    expect(await budget.remaining()).toBe(2);
    expect(sim.ledger.totalCharged(wallet.address)).toBe(0n);
    expect(await ledgerMicros(budget)).toBe(sim.ledger.totalCharged(wallet.address));
    const rec = await reconcile(budget, wallet);
    expect(rec).toMatchObject({ mismatched: [], missingLocally: [], missingRemotely: [], veniceRefundsUsd: 0.35 });
  });
});

describe('without a budget', () => {
  it('records live in this process and the cost comes from the quote asked first', async () => {
    const wallet = newWallet();
    const jobs = createVeniceJobs({
      fetch: createX402Fetch({ wallet, budget: createBudget() }),
      baseURL: sim.baseURL,
      sleep: async () => {},
    });
    const queued = await jobs.queue('audio', MUSIC);
    expect(queued.quoteMicros).toBe(480_000n);
    expect(await jobs.pending()).toEqual([queued]);
    const result = await jobs.wait(queued.id);
    expect(result).toMatchObject({ costUsd: 0.48, settled: true });
    expect(await jobs.pending()).toEqual([]);
  });
});

describe('reconcile credits REFUND rows of jobs no process was polling', () => {
  it('applyRefunds: a queued job Venice refunded is credited once and marked failed', async () => {
    const wallet = newWallet();
    const { budget, jobs } = processOver(wallet);
    sim.setFaults([{ kind: 'job_failure', route: '/video/queue', count: 1 }]);
    const queued = await jobs.queue('video', VIDEO);
    sim.setFaults([]);
    // Someone else's poll (another client of the wallet) made Venice fail and refund it: this budget never saw it.
    for (let i = 0; i < 3; i++) await (await retrieve(wallet, queued.id)).arrayBuffer();
    expect(sim.ledger.totalCharged(wallet.address)).toBe(0n);
    expect((await budget.report()).totalMicros).toBe(350_000n);

    const readOnly = await reconcile(budget, wallet);
    expect(readOnly.refundsApplied).toBe(0);
    expect(readOnly.mismatched).toEqual([expect.objectContaining({ requestId: queued.id, veniceUsd: 0 })]);
    const applied = await reconcile(budget, wallet, { applyRefunds: true });
    expect(applied).toMatchObject({ refundsApplied: 1, mismatched: [], missingLocally: [], missingRemotely: [] });
    expect((await budget.report()).totalMicros).toBe(0n);
    expect(await budget.remaining()).toBe(2);
    expect(await jobs.pending()).toEqual([]);
    expect((await budget.store.jobs!())[0]).toMatchObject({ state: 'failed', refundedMicros: 350_000n });
    expect((await reconcile(budget, wallet, { applyRefunds: true })).refundsApplied).toBe(0);
    await expect(jobs.wait(queued.id)).rejects.toBeInstanceOf(JobFailedError);
  });
});

/** The stores several processes share (a memory store cannot be shared). */
const shared = everyReopenableStore('jobs', redis).filter(([kind]) => kind !== 'memory');

describe.each(shared)('a job survives its process (%s store)', (_name, sharedStore) => {
  it('a second process resumes a job the first queued and settles it exactly once', async () => {
    const wallet = newWallet();
    const { store, reopen: open } = sharedStore();
    const first = processOver(wallet, store);
    const queued = await first.jobs.queue('video', PRIVATE);
    await first.budget.close(); // the first process is gone: it never polled

    const second = processOver(wallet, open());
    const third = processOver(wallet, open());
    const [pending] = await second.jobs.pending();
    expect(pending).toMatchObject({ id: queued.id, state: 'queued', downloadUrl: queued.downloadUrl });
    expect(pending!.quoteMicros).toBe(250_000n); // 5 s at $0.05/s
    const result = await second.jobs.wait(pending!);
    expect(result).toMatchObject({ queueId: queued.id, settled: true });
    expect(result.media.mediaType).toBe('video/mp4');
    // Settled: nothing pending anywhere, and a later resume is refused rather than settled again.
    expect(await third.jobs.pending()).toEqual([]);
    await expect(third.jobs.wait(queued.id)).rejects.toBeInstanceOf(ConfigError);
    // Charged once: the shared ledger equals the simulator's.
    expect(await ledgerMicros(third.budget)).toBe(250_000n);
    expect(sim.ledger.totalCharged(wallet.address)).toBe(250_000n);
    await second.budget.close();
    await third.budget.close();
  });

  it('two processes resuming one failed job refund it once', async () => {
    const wallet = newWallet();
    const { store, reopen: open } = sharedStore();
    const first = processOver(wallet, store);
    sim.setFaults([{ kind: 'job_failure', route: '/video/queue', count: 1 }]);
    const queued = await first.jobs.queue('video', VIDEO);
    sim.setFaults([]);
    await first.budget.close();

    const a = processOver(wallet, open());
    const b = processOver(wallet, open());
    const refunds: RefundEvent[] = [];
    a.budget.on('refund', (e) => refunds.push(e));
    b.budget.on('refund', (e) => refunds.push(e));
    const outcomes = await Promise.allSettled([a.jobs.wait(queued.id), b.jobs.wait(queued.id)]);
    for (const o of outcomes) expect(o.status === 'rejected' && o.reason).toBeInstanceOf(JobFailedError);
    expect(refunds).toHaveLength(1);
    expect(await ledgerMicros(a.budget)).toBe(0n);
    expect(sim.ledger.totalCharged(wallet.address)).toBe(0n);
    expect(await a.budget.remaining()).toBe(2);
    await a.budget.close();
    await b.budget.close();
  });
});

describe('a job survives a killed process', () => {
  it('a child process queues a job and is SIGKILLed; this process resumes it and settles it once', async () => {
    const privateKey = generatePrivateKey();
    const wallet = createWallet({ privateKey }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 5);
    const path = join(mkdtempSync(join(tmpdir(), 'vx402-killed-')), 'budget.jsonl');
    const worker = fileURLToPath(new URL('./workers/queue-video-job.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=venice-x402-source', '--import', 'tsx', worker, path, sim.baseURL, privateKey],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    const queueId = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /queued (\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`the worker ended before queueing: ${out}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const next = processOver(wallet, fileStore(path));
    const [pending] = await next.jobs.pending();
    expect(pending).toMatchObject({ id: queueId, state: 'queued', downloadUrl: expect.stringMatching(/^http/) });
    const result = await next.jobs.wait(pending!);
    expect(result).toMatchObject({ queueId, settled: true, costUsd: 0.25 });
    expect(await next.jobs.pending()).toEqual([]);
    expect(await ledgerMicros(next.budget)).toBe(250_000n);
    expect(sim.ledger.totalCharged(wallet.address)).toBe(250_000n);
    await next.budget.close();
  }, 30_000);
});
