/**
 * Refunds (a failed video or music job: Venice writes a REFUND row) are credits in the budget, and async job
 * records are kept for other processes: on every store (memory, file with replay and compaction, a real
 * redis-server).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BudgetStore,
  ConfigError,
  createBudget,
  fileStore,
  type JobRecord,
  type RefundEvent,
} from '../src/index.js';
import { everyReopenableStore, useRedis } from './helpers/budget-stores.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vx402-refund-'));
const redis = useRedis({ optional: true });

// 23:59 UTC, one minute before the day ends, in a year to come: no store's own clock (Redis judges windows by
// its TIME) has ended these windows yet.
const T0 = Date.UTC(new Date().getUTCFullYear() + 2, 10, 23, 23, 59);
const DAY = 86_400_000;

/** A store, and how to open a second handle on the same data (another process). */
const stores = everyReopenableStore('refund', redis);

const job = (over: Partial<JobRecord> = {}): JobRecord => ({
  id: 'q-1',
  kind: 'video',
  model: 'wan|2.5 "video"', // names are data: a delimiter or a quote in a name changes nothing
  quoteMicros: 350_000n,
  scopes: ['global', 'agent:a|b'],
  at: T0,
  state: 'queued',
  updatedAt: T0,
  ...over,
});

describe.each(stores)('%s store: refunds and job records', (_name, open) => {
  it('credits a refund once per request id, in the windows the charge was counted in, never below zero', async () => {
    let t = T0;
    const { store, reopen } = open();
    const policy = { limits: { dailyUsd: 1 }, scopes: { 'agent:a|b': { dailyUsd: 0.5 } } };
    const budget = createBudget(policy, { store, now: () => t });
    const refunds: RefundEvent[] = [];
    budget.on('refund', (e) => refunds.push(e));
    const held = await budget.reserve({
      estimateMicros: 350_000n,
      scope: 'agent:a|b',
      model: 'wan',
      route: '/video/queue',
    });
    await budget.commit(held, 350_000n, { requestId: 'q-1' });
    const other = await budget.reserve({ estimateMicros: 100_000n, model: 'llama' });
    await budget.commit(other, 100_000n, { requestId: 'chat-1' });
    expect(await budget.remaining('agent:a|b')).toBeCloseTo(0.15, 6);

    t = T0 + DAY; // the refund comes the next day: it credits the day the charge counted in
    const credited = await budget.refund({
      requestId: 'q-1',
      micros: 350_000n,
      scope: 'agent:a|b',
      model: 'wan',
      at: held.at,
    });
    expect(credited).toBe(350_000n);
    // Once: a second refund of the same request (another process, a replayed REFUND row) credits nothing.
    const again = createBudget(policy, { store: reopen(), now: () => t });
    expect(
      await again.refund({ requestId: 'q-1', micros: 350_000n, scope: 'agent:a|b', model: 'wan', at: held.at }),
    ).toBe(0n);
    // Unknown request ids and more than was charged: nothing invented.
    expect(await budget.refund({ requestId: 'never-charged', micros: 1_000n, at: T0 })).toBe(0n);
    expect(await budget.refund({ requestId: 'chat-1', micros: 5_000_000n, model: 'llama', at: other.at })).toBe(
      100_000n,
    );
    expect(refunds.map((r) => [r.requestId, r.refundMicros, r.scopes])).toEqual([
      ['q-1', 350_000n, ['global', 'agent:a|b']],
      ['chat-1', 100_000n, ['global']],
    ]);

    t = T0; // back in the day of the charges: both windows are whole again
    expect(await budget.remaining('agent:a|b')).toBe(0.5);
    expect(await budget.remaining()).toBe(1);
    const requests = await store.requests();
    expect(requests.get('q-1')?.micros).toBe(0n);
    expect(requests.get('chat-1')?.micros).toBe(0n);
    const report = await budget.report({ by: 'model' });
    expect(report.totalMicros).toBe(0n);
    const day = new Date(T0).toISOString().slice(0, 10);
    const series = await store.series!(`${day}T00`, `${day}T23`);
    expect(series.length).toBeGreaterThan(0);
    expect(series.reduce((s, r) => s + r.micros, 0n)).toBe(0n);
    await budget.close();
  });

  it('keeps job records with compare-and-set on their state, readable by another handle', async () => {
    const { store, reopen } = open();
    expect(await store.saveJob!(job(), null)).toBe(true);
    expect(await store.saveJob!(job(), null)).toBe(false); // queued once
    const second = reopen();
    const [seen] = await second.jobs!();
    expect(seen).toEqual(job());
    expect(await second.job!('q-1')).toEqual(job());
    expect(await second.job!('q-2')).toBeUndefined();
    // Two processes settle the same job: exactly one wins.
    const delivered = job({ state: 'delivered', downloadUrl: 'https://cdn.example/a?x=1|2', updatedAt: T0 + 5 });
    const results = await Promise.all([store.saveJob!(delivered, 'queued'), second.saveJob!(delivered, 'queued')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.jobs!())[0]).toEqual(delivered);
    expect(await store.saveJob!(job({ state: 'failed', refundedMicros: 1n }), 'queued')).toBe(false);
  });

  it('refuses a refund with no amount or no time, with a typed error', async () => {
    const budget = createBudget({}, { store: open().store });
    await expect(budget.refund({ requestId: 'q', micros: -1n, at: T0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(budget.refund({ requestId: '', micros: 1n, at: T0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(budget.refund({ requestId: 'q', micros: 1n, at: Number.NaN })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('file store: refunds and jobs survive replay and compaction', () => {
  it('replays refund and job lines, and keeps them through a snapshot', async () => {
    const path = join(tmp(), 'b.jsonl');
    const store = fileStore(path) as BudgetStore & { compact(): Promise<void> };
    const budget = createBudget({ limits: { dailyUsd: 1 } }, { store, now: () => T0 });
    await budget.commit(await budget.reserve({ estimateMicros: 350_000n, model: 'wan' }), 350_000n, {
      requestId: 'q-1',
    });
    await budget.refund({ requestId: 'q-1', micros: 350_000n, model: 'wan', at: T0 });
    await store.saveJob!(job({ state: 'failed', refundedMicros: 350_000n }), null);
    const replayed = createBudget({ limits: { dailyUsd: 1 } }, { store: fileStore(path), now: () => T0 });
    expect(await replayed.remaining()).toBe(1);
    expect(await replayed.refund({ requestId: 'q-1', micros: 350_000n, model: 'wan', at: T0 })).toBe(0n);
    await store.compact();
    const compacted = fileStore(path);
    expect((await compacted.jobs!())[0]?.refundedMicros).toBe(350_000n);
    const afterSnapshot = createBudget({ limits: { dailyUsd: 1 } }, { store: compacted, now: () => T0 });
    expect(await afterSnapshot.refund({ requestId: 'q-1', micros: 350_000n, model: 'wan', at: T0 })).toBe(0n);
    expect(await afterSnapshot.remaining()).toBe(1);
  });
});
