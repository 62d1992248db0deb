/**
 * Mutants that survived every budget test (issue "By construction" item 9), each of which lets an agent overspend:
 * monthly limits that never become counters, a monthly window with a daily id, an hour's or month's counter that
 * expires before its end, a file-store snapshot that drops counters or expired holds, a second process starting a
 * top-up while one runs, and `topUp.auto` defaulting to true. Each test below fails on one of them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { windowExpiry } from '../src/budget/windows.js';
import {
  type BudgetStore,
  createBudget,
  fileStore,
  memoryStore,
  PaymentRequiredError,
  parsePolicy,
} from '../src/index.js';
import { encodeCounterKey, windowId } from '../src/internal.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vx402-mutants-'));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOV_1 = Date.UTC(2026, 10, 1, 9);

const stores: [string, () => BudgetStore][] = [
  ['memory', () => memoryStore()],
  ['file', () => fileStore(join(tmp(), 'b.jsonl'))],
];

afterEach(() => {
  vi.useRealTimers();
});

describe('window ids and ends', () => {
  it('gives each window its own id: the hour, the day, the month, all time', () => {
    const t = Date.UTC(2026, 11, 31, 23, 30); // the last half hour of 2026
    expect(windowId('hourly', t)).toBe('h:2026-12-31T23');
    expect(windowId('daily', t)).toBe('d:2026-12-31');
    expect(windowId('monthly', t)).toBe('m:2026-12');
    expect(windowId('total', t)).toBe('t');
    expect(windowId('monthly', Date.UTC(2027, 0, 1))).toBe('m:2027-01');
  });

  it('ends each window a day after its last moment, never before', () => {
    const ends = (scope: string, id: string) => windowExpiry(encodeCounterKey(scope, id));
    expect(ends('global', 'h:2026-11-23T20')).toBe(Date.UTC(2026, 10, 23, 21) + DAY);
    expect(ends('global', 'd:2026-11-23')).toBe(Date.UTC(2026, 10, 24) + DAY);
    expect(ends('global', 'm:2026-11')).toBe(Date.UTC(2026, 11, 1) + DAY);
    expect(ends('global', 'm:2026-12')).toBe(Date.UTC(2027, 0, 1) + DAY);
    expect(ends('a|b', 'm:2026-02')).toBe(Date.UTC(2026, 2, 1) + DAY);
    expect(ends('global', 't')).toBeUndefined();
    expect(ends('global', 'd:garbage')).toBeUndefined();
    // Only a whole id is a window: anything before or after it makes it none.
    for (const id of ['h:2026-11-23T20', 'd:2026-11-23', 'm:2026-11']) {
      expect(ends('global', `${id.slice(0, 2)}x${id}`)).toBeUndefined();
      expect(ends('global', `${id}0`)).toBeUndefined();
    }
    expect(windowExpiry('global|d:2026-11-23')).toBeUndefined(); // not a key this version writes
  });
});

describe.each(stores)('%s store', (_name, makeStore) => {
  it.each(['perRequestUsd', 'hourlyUsd', 'dailyUsd', 'monthlyUsd', 'totalUsd'])(
    'a %s limit refuses what would pass it',
    async (limit) => {
      const budget = createBudget({ limits: { [limit]: 1 } }, { store: makeStore() });
      if (limit !== 'perRequestUsd') await budget.commit(await budget.reserve({ estimateMicros: 600_000n }), 600_000n);
      await expect(
        budget.reserve({ estimateMicros: 1_000_001n - (limit === 'perRequestUsd' ? 0n : 600_000n) }),
      ).rejects.toMatchObject({
        code: 'BUDGET_EXCEEDED',
      });
      await budget.close();
    },
  );

  it('a monthly limit holds across the days of its month, and only then resets', async () => {
    let t = NOV_1;
    const budget = createBudget({ limits: { monthlyUsd: 1 } }, { store: makeStore(), now: () => t });
    await budget.commit(await budget.reserve({ estimateMicros: 600_000n }), 600_000n);
    t = NOV_1 + DAY;
    await expect(budget.reserve({ estimateMicros: 600_000n })).rejects.toMatchObject({
      code: 'BUDGET_EXCEEDED',
      details: { limit: 'monthly' },
    });
    t = Date.UTC(2026, 11, 1, 0, 1);
    await budget.release(await budget.reserve({ estimateMicros: 600_000n }));
  });

  it('a month’s counter is kept to the month’s end, an hour’s to the hour’s end, however often the store tidies up', async () => {
    vi.useFakeTimers({ now: NOV_1 });
    let t = NOV_1;
    const budget = createBudget({ limits: { monthlyUsd: 1, hourlyUsd: 1 } }, { store: makeStore(), now: () => t });
    await budget.commit(await budget.reserve({ estimateMicros: 900_000n }), 900_000n);
    // Late in the same hour, and on each later day of the month (every reservation gives the store a chance to
    // forget ended windows), the spend is still there.
    for (const later of [59 * 60_000, ...Array.from({ length: 28 }, (_, d) => (d + 1) * DAY)]) {
      vi.advanceTimersByTime(NOV_1 + later - t);
      t = NOV_1 + later;
      await expect(budget.reserve({ estimateMicros: 200_000n })).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    }
  });

  it('never forgets a window that still has a live hold, however old its id', async () => {
    vi.useFakeTimers({ now: NOV_1 });
    const store = makeStore();
    const old = encodeCounterKey('global', 'd:2026-10-20'); // a window that ended long ago
    await store.reserve({
      id: 'late',
      amount: 5n,
      counters: [{ key: old, limit: 10n }],
      expiresAt: NOV_1 + 10 * HOUR,
      now: NOV_1,
    });
    vi.advanceTimersByTime(2 * HOUR);
    await store.reserve({ id: 'tidy', amount: 0n, counters: [], expiresAt: NOV_1 + 3 * HOUR, now: NOV_1 + 2 * HOUR });
    await store.commit({
      id: 'late',
      actual: 5n,
      keys: [old],
      usage: { scopes: ['global'], model: 'm', day: '2026-10-20' },
      now: NOV_1 + 2 * HOUR,
    });
    expect((await store.counters([old], NOV_1 + 2 * HOUR)).get(old)).toEqual({ spent: 5n, reserved: 0n });
  });
});

describe('file store compaction', () => {
  it('keeps every counter and live hold: after a restart the cap still holds', async () => {
    const path = join(tmp(), 'b.jsonl');
    const store = fileStore(path);
    const budget = createBudget({ limits: { dailyUsd: 1, monthlyUsd: 5 } }, { store, now: () => NOV_1 });
    await budget.commit(await budget.reserve({ estimateMicros: 600_000n }), 600_000n);
    await budget.reserve({ estimateMicros: 300_000n }); // a live hold
    await store.compact();
    await store.close();
    const again = createBudget(
      { limits: { dailyUsd: 1, monthlyUsd: 5 } },
      { store: fileStore(path), now: () => NOV_1 },
    );
    await expect(again.reserve({ estimateMicros: 200_000n })).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(await again.remaining()).toBeCloseTo(0.1, 9);
  });

  it('keeps expired holds: a late commit after compaction and a restart still counts', async () => {
    const path = join(tmp(), 'b.jsonl');
    let t = NOV_1;
    const store = fileStore(path);
    const policy = { limits: { dailyUsd: 1 }, reservationTtlSeconds: 60 };
    const budget = createBudget(policy, { store, now: () => t });
    const slow = await budget.reserve({ estimateMicros: 400_000n });
    t += 61_000;
    expect(await store.holds!(t)).toEqual([]); // expired: no longer held
    await store.compact();
    await store.close();
    const again = createBudget(policy, { store: fileStore(path), now: () => t });
    await again.commit(slow, 400_000n); // its answer arrived after all: the money was spent
    expect(await again.remaining()).toBeCloseTo(0.6, 9);
  });
});

describe('top-up across processes (file store)', () => {
  it('a second process does not start a top-up while one runs; it waits and then just retries', async () => {
    const path = join(tmp(), 'b.jsonl');
    const policy = { topUp: { auto: true, minIntervalSeconds: 0 } };
    const first = createBudget(policy, { store: fileStore(path) });
    const second = createBudget(policy, { store: fileStore(path) });
    let performed = 0;
    let finish!: () => void;
    const running = new Promise<void>((r) => {
      finish = r;
    });
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const startedAt = Date.now() - 1;
    const a = first.topUpGate(startedAt, async () => {
      performed++;
      entered();
      await running;
      return { amountUsd: 10 };
    });
    await inside;
    const b = second.topUpGate(startedAt, async () => {
      performed++;
      return { amountUsd: 10 };
    });
    // The second process finds the first one's claim in the file: busy, not claimed.
    const probe = await fileStore(path).claimTopUp({
      owner: 'probe',
      now: Date.now(),
      day: '2026-11-01',
      amount: 1n,
      startedAt,
      maxCount: 100,
      maxPerDay: 10n ** 12n,
      minIntervalMs: 0,
      lockTtlMs: 1000,
    });
    expect(probe).toEqual({ status: 'busy' });
    finish();
    expect(await a).toBe('performed');
    expect(await b).toBe('skipped');
    expect(performed).toBe(1);
  });
});

describe('auto top-up', () => {
  it('is off unless the policy says auto: true, also when other top-up fields are set', async () => {
    expect(parsePolicy({}).topUp.auto).toBe(false);
    expect(parsePolicy({ topUp: { amountUsd: 5 } }).topUp.auto).toBe(false);
    const budget = createBudget({ topUp: { amountUsd: 5, maxCount: 3 } });
    await expect(budget.topUpGate(Date.now(), async () => ({ amountUsd: 5 }))).rejects.toBeInstanceOf(
      PaymentRequiredError,
    );
  });
});
