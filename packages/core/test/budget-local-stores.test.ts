/**
 * The in-process and file stores against the attacks of issue "Every new surface" items 10, 11 and 14: a resent
 * settlement, an absurd or malformed amount, and a clock that runs ahead. Time comes from fake timers (which move
 * `Date` and `performance` alike, so the store's monotonic clock follows them) and the budget's injected `now`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CommitArgs } from '../src/budget/store.js';
import { type BudgetStore, createBudget, fileStore, StoreInputError, usdToMicros } from '../src/index.js';
import { encodeCounterKey } from '../src/internal.js';
import { everyReopenableStore } from './helpers/budget-stores.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vx402-local-'));
const T0 = Date.UTC(2026, 10, 23, 20, 15); // 2026-11-23T20:15Z
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Each maker returns a fresh store and a way to open a second handle on the same books (another process). */
const stores = everyReopenableStore('local');

const key = encodeCounterKey('global', 'd:2026-11-23');
const reserveArgs = (id: string, amount: bigint, now = T0) => ({
  id,
  amount,
  counters: [{ key, limit: 1_000_000n }],
  expiresAt: now + 600_000,
  now,
});
const commitArgs = (id: string, actual: bigint, extra: Partial<CommitArgs> = {}): CommitArgs => ({
  id,
  actual,
  keys: [key],
  usage: { scopes: ['global'], model: 'm', day: '2026-11-23' },
  requestId: `req-${id}`,
  now: T0,
  ...extra,
});

afterEach(() => {
  vi.useRealTimers();
});

describe.each(stores)('%s store', (_name, open) => {
  describe('a resent settlement (25.10)', () => {
    it('settling the same id with the same amount twice is success, counted once; another amount is refused', async () => {
      const { store } = open();
      await store.reserve(reserveArgs('a', 500_000n));
      const first = await store.commit(commitArgs('a', 400_000n));
      const again = await store.commit(commitArgs('a', 400_000n));
      expect(first).toEqual({ ok: true, counters: new Map([[key, { spent: 400_000n, reserved: 0n }]]) });
      expect(again).toEqual(first);
      expect(await store.commit(commitArgs('a', 300_000n))).toEqual({ ok: false });
      expect((await store.requests()).get('req-a')).toEqual({ micros: 400_000n, ambiguous: false });
      expect((await store.usage())[0]).toMatchObject({ micros: 400_000n, calls: 1 });
    });

    it('a journal replay of a commit the store already applied is recognised, not counted again', async () => {
      const { store } = open();
      await store.reserve(reserveArgs('b', 500_000n));
      await store.commit(commitArgs('b', 200_000n));
      const replayed = await store.commit(commitArgs('b', 200_000n, { replay: true }));
      expect(replayed.ok && replayed.counters.get(key)).toEqual({ spent: 200_000n, reserved: 0n });
      expect(await store.commit(commitArgs('b', 250_000n, { replay: true }))).toEqual({ ok: false });
    });

    it('through a budget: the same commit twice resolves both times and counts once', async () => {
      const { store } = open();
      const budget = createBudget({ limits: { dailyUsd: 1 } }, { store });
      const r = await budget.reserve({ estimateMicros: 300_000n });
      await budget.commit(r, 250_000n, { requestId: 'paid' });
      expect(await budget.commit(r, 250_000n, { requestId: 'paid' })).toEqual({ remainingUsd: 0.75 });
      await expect(budget.commit(r, 260_000n)).rejects.toMatchObject({ code: 'RESERVATION_SETTLED' });
      expect((await budget.report()).totalUsd).toBe(0.25);
    });

    it('remembers settled ids for a bounded time: at least a day, at most two', async () => {
      vi.useFakeTimers({ now: T0 });
      const { store } = open();
      await store.reserve(reserveArgs('c', 1n));
      await store.commit(commitArgs('c', 1n));
      const resendAfter = async (ms: number) => {
        vi.advanceTimersByTime(T0 + ms - Date.now());
        // Housekeeping runs with a reservation, at most once an hour.
        await store.reserve({ ...reserveArgs(`tidy-${ms}`, 1n, T0 + ms), counters: [] });
        return (await store.commit(commitArgs('c', 1n, { now: T0 + ms }))).ok;
      };
      expect(await resendAfter(23 * HOUR)).toBe(true);
      expect(await resendAfter(DAY + HOUR)).toBe(true);
      expect(await resendAfter(2 * DAY + 2 * HOUR)).toBe(false);
    });
  });

  describe('an absurd or malformed amount (25.11)', () => {
    const bad: [string, unknown][] = [
      ['$1e13 (a server answering cost.usd = 1e13)', usdToMicros(1e13)],
      ['a negative amount', -1n],
      ['NaN', Number.NaN],
      ['a fraction', 1.5],
      ['a decimal string', '100'],
      ['Infinity', Number.POSITIVE_INFINITY],
    ];
    for (const [what, actual] of bad) {
      it(`a commit of ${what} is a StoreInputError and writes nothing`, async () => {
        const { store, reopen: another } = open();
        await store.reserve(reserveArgs('e', 100_000n));
        const error = await store.commit(commitArgs('e', actual as bigint)).catch((e) => e);
        expect(error).toBeInstanceOf(StoreInputError);
        expect(error).toMatchObject({ code: 'INVALID_STORE_INPUT', details: { operation: 'commit', field: 'actual' } });
        // Nothing changed: the hold is still counted, and a proper commit of it still goes through.
        const other = another();
        expect((await other.counters([key], T0)).get(key)).toEqual({ spent: 0n, reserved: 100_000n });
        const ok = await other.commit(commitArgs('e', 90_000n));
        expect(ok.ok && ok.counters.get(key)).toEqual({ spent: 90_000n, reserved: 0n });
      });
    }

    it('refuses a reservation, renewal or top-up record with a malformed amount or time, changing nothing', async () => {
      const { store } = open();
      for (const args of [
        reserveArgs('f', usdToMicros(1e13)),
        reserveArgs('f', Number.NaN as unknown as bigint),
        { ...reserveArgs('f', 1n), expiresAt: Number.NaN },
        { ...reserveArgs('f', 1n), id: '' },
      ])
        await expect(store.reserve(args)).rejects.toBeInstanceOf(StoreInputError);
      await store.reserve(reserveArgs('g', 1n));
      await expect(store.renew('g', Number.POSITIVE_INFINITY, T0)).rejects.toBeInstanceOf(StoreInputError);
      await expect(store.finishTopUp('owner', true, T0, { micros: -5n })).rejects.toBeInstanceOf(StoreInputError);
      await expect(store.commit(commitArgs('g', 1n, { paymentTx: 'x'.repeat(201) }))).rejects.toBeInstanceOf(
        StoreInputError,
      );
      expect((await store.counters([key], T0)).get(key)).toEqual({ spent: 0n, reserved: 1n });
      expect((await store.holds!(T0)).map((h) => h.id)).toEqual(['g']);
    });
  });

  it('a reservation id used again (live, settled or expired) is refused, and the books stay loadable', async () => {
    const { store, reopen: another } = open();
    await store.reserve(reserveArgs('live', 10n));
    await store.reserve(reserveArgs('done', 10n));
    await store.commit(commitArgs('done', 10n));
    for (const id of ['live', 'done'])
      await expect(store.reserve(reserveArgs(id, 10n))).rejects.toMatchObject({
        code: 'INVALID_STORE_INPUT',
        details: { field: 'id' },
      });
    expect((await another().counters([key], T0)).get(key)).toEqual({ spent: 10n, reserved: 10n });
  });

  describe('a clock that runs ahead (25.14)', () => {
    it('one call 49 h ahead does not forget today: the agent cannot then spend twice the daily limit', async () => {
      vi.useFakeTimers({ now: T0 });
      let t = T0;
      const { store } = open();
      const budget = createBudget({ limits: { dailyUsd: 1, hourlyUsd: 1 } }, { store, now: () => t });
      await budget.commit(await budget.reserve({ estimateMicros: 900_000n }), 900_000n);
      t = T0 + 49 * HOUR; // one skewed reading
      await budget.release(await budget.reserve({ estimateMicros: 1n }));
      t = T0 + 60_000; // the clock comes back
      await expect(budget.reserve({ estimateMicros: 500_000n })).rejects.toMatchObject({
        code: 'BUDGET_EXCEEDED',
        details: { limit: 'hourly' },
      });
      expect(await budget.remaining()).toBeCloseTo(0.1, 9);
    });

    it('a process whose clock runs ahead by more than the TTL does not expire another agent’s live hold', async () => {
      vi.useFakeTimers({ now: T0 });
      const { store, reopen: another } = open();
      const policy = { limits: { dailyUsd: 0.1 }, reservationTtlSeconds: 600 };
      const honest = createBudget(policy, { store, now: () => T0 });
      const skewed = createBudget(policy, { store: another(), now: () => T0 + 11 * 60_000 });
      const live = await honest.reserve({ estimateMicros: 100_000n });
      await expect(skewed.reserve({ estimateMicros: 100_000n })).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
      await honest.commit(live, 100_000n);
      expect((await honest.report()).totalUsd).toBe(0.1);
    });

    it('holds still expire once the store’s own clock has run past them', async () => {
      vi.useFakeTimers({ now: T0 });
      let t = T0;
      const { store } = open();
      const budget = createBudget({ limits: { dailyUsd: 0.1 }, reservationTtlSeconds: 600 }, { store, now: () => t });
      await budget.reserve({ estimateMicros: 100_000n }); // a dead process's hold
      t += 11 * 60_000;
      vi.advanceTimersByTime(11 * 60_000);
      await expect(budget.reserve({ estimateMicros: 100_000n })).resolves.toMatchObject({ amountMicros: 100_000n });
    });

    it('a skewed reading does not take the top-up lock of a top-up still running', async () => {
      vi.useFakeTimers({ now: T0 });
      const { store, reopen: another } = open();
      const claim = (s: BudgetStore, owner: string, now: number) =>
        s.claimTopUp({
          owner,
          now,
          day: '2026-11-23',
          amount: 10_000_000n,
          startedAt: now - 1,
          maxCount: 10,
          maxPerDay: 100_000_000n,
          minIntervalMs: 0,
          lockTtlMs: 120_000,
        });
      expect(await claim(store, 'first', T0)).toEqual({ status: 'claimed' });
      expect(await claim(another(), 'second', T0 + 49 * HOUR)).toEqual({ status: 'busy' });
    });
  });
});

describe('file store: an absurd cost through a budget', () => {
  it('a commit of $1e13 writes no such amount: the file stays loadable for every process sharing it', async () => {
    const path = join(tmp(), 'b.jsonl');
    const budget = createBudget({ limits: { dailyUsd: 1 } }, { store: fileStore(path) });
    const r = await budget.reserve({ estimateMicros: 50_000n });
    // The budget counts the hold (ambiguous, for reconcile); the store writes nothing it would refuse to read.
    await budget.commit(r, usdToMicros(1e13)).catch(() => {});
    await budget.commit(r, Number.NaN as unknown as bigint).catch(() => {});
    expect(readFileSync(path, 'utf8')).not.toContain(String(usdToMicros(1e13)));
    await budget.close();
    const other = createBudget({ limits: { dailyUsd: 1 } }, { store: fileStore(path) });
    expect((await other.report()).totalUsd).toBe(0.05);
    await other.commit(await other.reserve({ estimateMicros: 10n }), 10n);
    expect((await other.report()).totalUsd).toBe(0.05001);
  });
});
