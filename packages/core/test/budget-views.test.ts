/**
 * The stores' read-only views (spend per hour, live holds, the payment log) that the dashboard draws, on every
 * store: memory, file (including replay and compaction) and a real redis-server.
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBudget, fileStore, memoryStore, StoreError } from '../src/index.js';
import { everyStore, useRedis } from './helpers/budget-stores.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vx402-views-'));
const redis = useRedis({ optional: true });

const T0 = Date.UTC(2026, 10, 23, 20, 15); // 2026-11-23T20:15Z
const HOUR = 3_600_000;

const stores = everyStore('views', redis);

/** Sorts series rows so that stores with different iteration orders compare equal. */
const sorted = <T extends { hour: string; model: string; scopes: string[] }>(rows: T[]) =>
  [...rows].sort((a, b) => `${a.hour}${a.model}${a.scopes}`.localeCompare(`${b.hour}${b.model}${b.scopes}`));

describe.each(stores)('%s store views', (name, makeStore) => {
  it('series: spend per UTC hour by model and whole scope chain, the hour the call started', async () => {
    let t = T0;
    const store = makeStore();
    const budget = createBudget({}, { store, now: () => t });
    const pay = async (micros: bigint, model: string, scope?: string) =>
      budget.commit(await budget.reserve({ estimateMicros: micros, model, scope }), micros);
    await pay(100n, 'llama', 'team:a/agent:x');
    await pay(200n, 'llama', 'team:a/agent:x');
    await pay(50n, 'qwen');
    const late = await budget.reserve({ estimateMicros: 7n, model: 'qwen' }); // starts at 20:59, settles at 21:01
    t = T0 + HOUR;
    await budget.commit(late, 7n);
    await pay(30n, 'qwen', 'team:a');
    const rows = sorted(await store.series!('2026-11-23T00', '2026-11-24T00'));
    expect(rows.map((r) => ({ ...r, micros: Number(r.micros) }))).toEqual([
      { hour: '2026-11-23T20', model: 'llama', scopes: ['global', 'team:a', 'agent:x'], micros: 300, calls: 2 },
      { hour: '2026-11-23T20', model: 'qwen', scopes: ['global'], micros: 57, calls: 2 },
      { hour: '2026-11-23T21', model: 'qwen', scopes: ['global', 'team:a'], micros: 30, calls: 1 },
    ]);
    // Bounds are inclusive hours.
    expect((await store.series!('2026-11-23T21', '2026-11-23T21')).map((r) => r.hour)).toEqual(['2026-11-23T21']);
    expect(await store.series!('2026-11-23T22', '2026-11-24T03')).toEqual([]);
    // Every call is in exactly one row: the rows add up to the report's total.
    const total = rows.reduce((s, r) => s + r.micros, 0n);
    expect(Number(total) / 1e6).toBe((await budget.report()).totalUsd);
    await budget.close();
  });

  it('holds: open reservations with their keys, gone once settled or expired', async () => {
    let t = T0;
    const store = makeStore();
    const budget = createBudget({ limits: { dailyUsd: 1 }, reservationTtlSeconds: 60 }, { store, now: () => t });
    const a = await budget.reserve({ estimateMicros: 1_000n, scope: 'agent:x' });
    const b = await budget.reserve({ estimateMicros: 2_000n });
    const open = await store.holds!(t);
    expect(open.map((h) => [h.id, Number(h.micros)]).sort()).toEqual([
      [a.id, 1000],
      [b.id, 2000],
    ]);
    expect(open.find((h) => h.id === a.id)!.keys).toEqual(['["global","d:2026-11-23"]']);
    // Redis counts a hold's TTL on its own clock and tells the expiry on the caller's: a few ms may have passed.
    expect(open[0]!.expiresAt).toBeGreaterThan(T0 + 59_000);
    expect(open[0]!.expiresAt).toBeLessThanOrEqual(T0 + 60_000);
    await budget.commit(a, 900n);
    expect((await store.holds!(t)).map((h) => h.id)).toEqual([b.id]);
    if (name === 'redis') return; // expiry on the server's clock: redis-store.test.ts
    t += 61_000;
    expect(await store.holds!(t)).toEqual([]);
    await budget.close();
  });

  it('payments: pay-per-call settlements and top-ups with their transactions, newest first, nothing else', async () => {
    let t = T0;
    const store = makeStore();
    const budget = createBudget({ topUp: { auto: true, minIntervalSeconds: 0 } }, { store, now: () => t });
    await budget.commit(await budget.reserve({ estimateMicros: 10n, model: 'llama' }), 10n); // prepaid: no payment
    const paid = await budget.reserve({ estimateMicros: 10_000n, model: 'claude', scope: 'agent:x' });
    await budget.commit(paid, 10_000n, { paymentTx: `0x${'a'.repeat(64)}`, requestId: 'req-1' });
    t += 1000;
    await budget.topUpGate(t - 1, async (amountUsd) => ({ amountUsd, transaction: `0x${'b'.repeat(64)}` }));
    t += 1000;
    // A failed top-up is not money that left.
    await expect(
      budget.topUpGate(t, async () => {
        throw new Error('facilitator down');
      }),
    ).rejects.toThrow('facilitator down');
    const log = await store.payments!();
    expect(log).toEqual([
      { kind: 'topup', at: T0 + 1000, micros: 10_000_000n, tx: `0x${'b'.repeat(64)}` },
      {
        kind: 'payment',
        at: T0,
        micros: 10_000n,
        tx: `0x${'a'.repeat(64)}`,
        requestId: 'req-1',
        model: 'claude',
        scopes: ['global', 'agent:x'],
      },
    ]);
    expect(await store.payments!(1)).toHaveLength(1);
    await budget.close();
  });
});

describe('file store views survive a restart and compaction', () => {
  it('replays series, holds and payments from the journal, then from a compacted snapshot', async () => {
    const path = join(tmp(), 'b.jsonl');
    const t = T0;
    const first = createBudget({ topUp: { auto: true } }, { store: fileStore(path), now: () => t });
    await first.commit(await first.reserve({ estimateMicros: 5n, model: 'm', scope: 's' }), 5n, {
      paymentTx: '0xfeed',
    });
    await first.topUpGate(t - 1, async (amountUsd) => ({ amountUsd, transaction: '0xbeef' }));
    const held = await first.reserve({ estimateMicros: 9n });
    const before = {
      series: await first.store.series!('2026-11-23T00', '2026-11-23T23'),
      holds: await first.store.holds!(t),
      payments: await first.store.payments!(),
    };
    expect(before.series).toHaveLength(1);
    expect(before.holds.map((h) => h.id)).toEqual([held.id]);
    expect(before.payments.map((p) => p.tx)).toEqual(['0xbeef', '0xfeed']);
    const reopened = fileStore(path);
    expect(await reopened.series!('2026-11-23T00', '2026-11-23T23')).toEqual(before.series);
    expect(await reopened.holds!(t)).toEqual(before.holds);
    expect(await reopened.payments!()).toEqual(before.payments);
    await (reopened as unknown as { compact(): Promise<void> }).compact();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1); // one snapshot line
    const compacted = fileStore(path);
    expect(await compacted.series!('2026-11-23T00', '2026-11-23T23')).toEqual(before.series);
    expect(await compacted.holds!(t)).toEqual(before.holds);
    expect(await compacted.payments!()).toEqual(before.payments);
    await Promise.all([first.close(), reopened.close(), compacted.close()]);
  });

  it('files from before the series: a commit line without an hour counts in the hour it was written', async () => {
    const path = join(tmp(), 'old.jsonl');
    const lines = [
      { op: 'r', id: 'r1', a: '40', k: [], e: T0 + 600_000, t: T0 },
      { op: 'c', id: 'r1', a: '40', k: [], u: { scopes: ['global'], model: 'm', day: '2026-11-23' }, t: T0 + HOUR },
    ];
    appendFileSync(path, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const store = fileStore(path);
    expect(await store.series!('2026-11-23T00', '2026-11-24T00')).toEqual([
      { hour: '2026-11-23T21', model: 'm', scopes: ['global'], micros: 40n, calls: 1 },
    ]);
    await store.close();
  });

  it('refuses a forged payment transaction or hour in the journal, naming the line', async () => {
    for (const forged of [
      { tx: 42 },
      { tx: 'x'.repeat(201) },
      { u: { scopes: ['global'], model: 'm', day: '2026-11-23', hour: 'tomorrow' } },
    ]) {
      const path = join(tmp(), 'forged.jsonl');
      const commit = {
        op: 'c',
        id: 'r1',
        a: '1',
        k: [],
        u: { scopes: ['global'], model: 'm', day: '2026-11-23' },
        t: T0,
      };
      appendFileSync(
        path,
        `${JSON.stringify({ op: 'r', id: 'r1', a: '1', k: [], e: T0 + 1000, t: T0 })}\n${JSON.stringify({ ...commit, ...forged })}\n`,
      );
      const store = fileStore(path);
      await expect(store.series!('2026-11-23T00')).rejects.toBeInstanceOf(StoreError);
      await expect(store.series!('2026-11-23T00')).rejects.toThrow(/line 2/);
    }
  });

  it('keeps 35 days of hourly series', async () => {
    let t = T0;
    const store = memoryStore();
    const budget = createBudget({}, { store, now: () => t });
    await budget.commit(await budget.reserve({ estimateMicros: 1n }), 1n);
    t += 34 * 24 * HOUR;
    await budget.commit(await budget.reserve({ estimateMicros: 2n }), 2n);
    expect((await store.series!('2000-01-01T00')).map((r) => r.micros)).toEqual([1n, 2n]);
    t += 2 * 24 * HOUR;
    await budget.commit(await budget.reserve({ estimateMicros: 3n }), 3n);
    expect((await store.series!('2000-01-01T00')).map((r) => r.micros)).toEqual([2n, 3n]);
  });
});
