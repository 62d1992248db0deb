/**
 * The budget's books (`BudgetState`, under the memory and file stores) at their edges: a limit reached exactly, a hold
 * at the moment it lapses, the top-up claim's order of refusals, a refund's bounds, and the file store's snapshot
 * image. Each of these, got wrong by one comparison, lets an agent spend past its limit or count a charge wrongly.
 */
import { describe, expect, it } from 'vitest';
import { BudgetState } from '../src/budget/state.js';
import type { StoreClock } from '../src/budget/store-clock.js';
import { encodeCounterKey } from '../src/internal.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 23, 20, 30);
const DAY_KEY = encodeCounterKey('global', 'd:2026-11-23');
const HOUR_KEY = encodeCounterKey('global', 'h:2026-11-23T20');
const TOTAL_KEY = encodeCounterKey('global', 't');

/** A store clock that takes every reading as it is (the tests choose the time). */
const exactClock = { trusted: (reading: number) => reading, anchored: () => T0 } as unknown as StoreClock;
const books = () => new BudgetState(exactClock);

const usage = { scopes: ['global'], model: 'm', day: '2026-11-23', hour: '2026-11-23T20' };
const reserve = (s: BudgetState, id: string, amount: bigint, limit: bigint, expiresAt = T0 + 600_000, now = T0) =>
  s.reserve({ id, amount, counters: [{ key: DAY_KEY, limit }], expiresAt, now });
const commit = (s: BudgetState, id: string, actual: bigint, extra: object = {}) =>
  s.commit({ id, actual, keys: [DAY_KEY], usage, requestId: `req-${id}`, now: T0, ...extra });
const counter = (s: BudgetState, key = DAY_KEY, now = T0) => s.read([key], now).get(key);

describe('reserve', () => {
  it('a limit can be reached exactly, never passed; a refusal says which counter and how much is used', () => {
    const s = books();
    expect(reserve(s, 'a', 600n, 1_000n)).toEqual({ ok: true });
    expect(reserve(s, 'b', 401n, 1_000n)).toEqual({ ok: false, key: DAY_KEY, used: 600n, limit: 1_000n });
    expect(reserve(s, 'c', 400n, 1_000n)).toEqual({ ok: true });
    expect(counter(s)).toEqual({ spent: 0n, reserved: 1_000n });
  });

  it('checks every counter: the tightest one refuses, and a refused reservation holds nothing anywhere', () => {
    const s = books();
    const counters = [
      { key: DAY_KEY, limit: 1_000n },
      { key: HOUR_KEY, limit: 100n },
    ];
    expect(s.reserve({ id: 'a', amount: 101n, counters, expiresAt: T0 + 1, now: T0 })).toMatchObject({
      ok: false,
      key: HOUR_KEY,
      used: 0n,
    });
    expect(counter(s)).toEqual({ spent: 0n, reserved: 0n });
    expect(s.reserve({ id: 'b', amount: 100n, counters, expiresAt: T0 + 1, now: T0 })).toEqual({ ok: true });
    expect(counter(s, HOUR_KEY)).toEqual({ spent: 0n, reserved: 100n });
  });

  it('an id is used once: held, settled or expired', () => {
    const s = books();
    reserve(s, 'a', 1n, 10n);
    expect(() => reserve(s, 'a', 1n, 10n)).toThrow('Budget store refused a reservation: id is already in use');
    commit(s, 'a', 1n);
    expect(() => reserve(s, 'a', 1n, 10n)).toThrow(/already in use/);
    reserve(s, 'b', 1n, 10n, T0 + 10);
    s.sweep(T0 + 10);
    expect(s.knows('b')).toBe(true);
    expect(() => reserve(s, 'b', 1n, 10n, T0 + 20, T0 + 10)).toThrow(/already in use/);
  });
});

describe('holds and their TTL', () => {
  it('a hold lapses at its expiry, not a millisecond before; renewing it before then keeps it', () => {
    const s = books();
    reserve(s, 'a', 500n, 1_000n, T0 + 1_000);
    expect(counter(s, DAY_KEY, T0 + 999)).toEqual({ spent: 0n, reserved: 500n });
    expect(s.renew('a', T0 + 5_000, T0 + 999)).toBe(true);
    expect(counter(s, DAY_KEY, T0 + 1_000)).toEqual({ spent: 0n, reserved: 500n });
    expect(counter(s, DAY_KEY, T0 + 5_000)).toEqual({ spent: 0n, reserved: 0n });
    expect(s.holdRecords(T0 + 5_000)).toEqual([]);
  });

  it('a renewal that comes too late frees the hold and says so; an unknown id is not renewed', () => {
    const s = books();
    reserve(s, 'a', 500n, 1_000n, T0 + 1_000);
    expect(s.renew('a', T0 + 9_000, T0 + 1_000)).toBe(false);
    expect(counter(s, DAY_KEY, T0 + 1_000)).toEqual({ spent: 0n, reserved: 0n });
    expect(s.renew('nope', T0 + 9_000, T0)).toBe(false);
  });

  it('the earliest expiry is swept first, whatever order the holds came in', () => {
    const s = books();
    reserve(s, 'late', 100n, 1_000n, T0 + 2_000);
    reserve(s, 'early', 200n, 1_000n, T0 + 1_000);
    expect(counter(s, DAY_KEY, T0 + 1_500)).toEqual({ spent: 0n, reserved: 100n });
    expect(counter(s, DAY_KEY, T0 + 2_000)).toEqual({ spent: 0n, reserved: 0n });
    const other = books();
    reserve(other, 'early', 200n, 1_000n, T0 + 1_000);
    reserve(other, 'late', 100n, 1_000n, T0 + 2_000);
    expect(counter(other, DAY_KEY, T0 + 1_000)).toEqual({ spent: 0n, reserved: 100n });
    expect(counter(other, DAY_KEY, T0 + 2_000)).toEqual({ spent: 0n, reserved: 0n });
  });

  it('after a sweep, the next one comes at the earliest expiry left, not the last one listed', () => {
    const s = books();
    reserve(s, 'first', 1n, 1_000n, T0 + 1_000);
    reserve(s, 'second', 10n, 1_000n, T0 + 2_000);
    reserve(s, 'third', 100n, 1_000n, T0 + 3_000);
    expect(counter(s, DAY_KEY, T0 + 1_000)).toEqual({ spent: 0n, reserved: 110n });
    expect(counter(s, DAY_KEY, T0 + 2_000)).toEqual({ spent: 0n, reserved: 100n });
  });

  it('a counter never used reads as zero', () => {
    expect(counter(books(), TOTAL_KEY)).toEqual({ spent: 0n, reserved: 0n });
  });

  it('forgets expired and released ids after their retention: a late commit is then refused, a replay applied', () => {
    const s = books();
    reserve(s, 'lapsed', 100n, 10_000n, T0 + 10);
    s.sweep(T0 + 10);
    reserve(s, 'freed', 100n, 10_000n);
    s.release('freed', T0);
    // The store tidies up on these two reservations: ids are forgotten after one to two retention periods.
    reserve(s, 'later', 1n, 10_000n, T0 + 49 * HOUR, T0 + 48 * HOUR);
    reserve(s, 'later still', 1n, 10_000n, T0 + 73 * HOUR, T0 + 72 * HOUR);
    expect(commit(s, 'lapsed', 100n)).toBe('refused');
    expect(commit(s, 'freed', 100n, { replay: true })).toBe('applied');
  });

  it('an expired hold is still committable once (the money was spent), then its id is settled', () => {
    const s = books();
    reserve(s, 'a', 500n, 1_000n, T0 + 1_000);
    s.sweep(T0 + 1_000);
    expect(commit(s, 'a', 300n)).toBe('applied');
    expect(counter(s)).toEqual({ spent: 300n, reserved: 0n });
    expect(commit(s, 'a', 300n)).toBe('repeat');
    expect(counter(s)).toEqual({ spent: 300n, reserved: 0n });
  });

  it('lists live holds with their amount, keys and expiry', () => {
    const s = books();
    reserve(s, 'a', 7n, 1_000n, T0 + 1_000);
    expect(s.holdRecords(T0)).toEqual([{ id: 'a', micros: 7n, keys: [DAY_KEY], expiresAt: T0 + 1_000 }]);
  });
});

describe('commit and release', () => {
  it('a commit moves the hold to spent at the actual cost, in every key it names', () => {
    const s = books();
    s.reserve({
      id: 'a',
      amount: 500n,
      counters: [
        { key: DAY_KEY, limit: 1_000n },
        { key: TOTAL_KEY, limit: 1_000n },
      ],
      expiresAt: T0 + 1_000,
      now: T0,
    });
    expect(s.commit({ id: 'a', actual: 321n, keys: [DAY_KEY, TOTAL_KEY], usage, now: T0 })).toBe('applied');
    expect(counter(s)).toEqual({ spent: 321n, reserved: 0n });
    expect(counter(s, TOTAL_KEY)).toEqual({ spent: 321n, reserved: 0n });
  });

  it('an unknown id is refused, unless replayed from a journal; a released one is refused even then', () => {
    const s = books();
    expect(commit(s, 'ghost', 5n)).toBe('refused');
    expect(counter(s)).toEqual({ spent: 0n, reserved: 0n });
    expect(commit(s, 'lost', 5n, { replay: true })).toBe('applied');
    expect(counter(s)).toEqual({ spent: 5n, reserved: 0n });
    reserve(s, 'freed', 9n, 1_000n);
    expect(s.release('freed', T0)).toBe(true);
    expect(commit(s, 'freed', 9n, { replay: true })).toBe('refused');
    expect(counter(s)).toEqual({ spent: 5n, reserved: 0n });
  });

  it('release frees a hold once; an expired hold can be released once too; a settled one not at all', () => {
    const s = books();
    reserve(s, 'a', 400n, 1_000n);
    expect(s.release('a', T0)).toBe(true);
    expect(s.release('a', T0)).toBe(false);
    expect(counter(s)).toEqual({ spent: 0n, reserved: 0n });
    reserve(s, 'b', 400n, 1_000n, T0 + 10);
    s.sweep(T0 + 10);
    expect(s.release('b', T0 + 10)).toBe(true);
    expect(s.release('b', T0 + 10)).toBe(false);
    reserve(s, 'c', 400n, 1_000n);
    commit(s, 'c', 400n);
    expect(s.release('c', T0)).toBe(false);
    expect(counter(s)).toEqual({ spent: 400n, reserved: 0n });
  });
});

describe('forgetting old windows', () => {
  it('a counter is forgotten only a day after its window ended, and only when it holds nothing', () => {
    const s = books();
    const hourAgo = encodeCounterKey('global', 'h:2026-11-22T19');
    s.counters.set(hourAgo, { spent: 50, reserved: 0 });
    s.counters.set(HOUR_KEY, { spent: 50, reserved: 0 });
    // The window h:2026-11-22T19 ends at 20:00 on the 22nd; forgotten from 20:00 on the 23rd.
    const end = Date.UTC(2026, 10, 23, 20);
    reserve(s, 'x', 1n, 1_000n, end + 2 * HOUR, end - HOUR);
    expect(s.counters.has(hourAgo)).toBe(true);
    reserve(s, 'y', 1n, 1_000n, end + 2 * HOUR, end - 1);
    expect(s.counters.has(hourAgo)).toBe(true);
    reserve(s, 'z', 1n, 1_000n, end + 2 * HOUR, end);
    expect(s.counters.has(hourAgo)).toBe(false);
    expect(s.counters.get(HOUR_KEY)).toEqual({ spent: 50, reserved: 0 });
  });
});

describe('refunds', () => {
  it('credit a charge once, never more than it was, never a counter below zero', () => {
    const s = books();
    reserve(s, 'a', 500n, 1_000n);
    commit(s, 'a', 400n);
    const refund = (micros: bigint) => s.refund({ requestId: 'req-a', micros, keys: [DAY_KEY], usage, now: T0 });
    expect(s.refund({ requestId: 'unknown', micros: 5n, keys: [DAY_KEY], usage, now: T0 })).toBe(0n);
    expect(refund(0n)).toBe(0n);
    expect(refund(900n)).toBe(400n);
    expect(counter(s)).toEqual({ spent: 0n, reserved: 0n });
    expect(refund(100n)).toBe(0n);
    s.counters.get(DAY_KEY)!.spent = 100; // another charge's spend: a refund never takes more than it was
    reserve(s, 'b', 300n, 1_000n);
    commit(s, 'b', 300n);
    s.counters.get(DAY_KEY)!.spent = 100;
    expect(s.refund({ requestId: 'req-b', micros: 300n, keys: [DAY_KEY], usage, now: T0 })).toBe(300n);
    expect(counter(s)).toEqual({ spent: 0n, reserved: 0n });
  });

  it('credits only the counters that exist (a window forgotten since is skipped)', () => {
    const s = books();
    reserve(s, 'a', 500n, 1_000n);
    commit(s, 'a', 400n);
    expect(s.refund({ requestId: 'req-a', micros: 100n, keys: [TOTAL_KEY, DAY_KEY], usage, now: T0 })).toBe(100n);
    expect(counter(s)).toEqual({ spent: 300n, reserved: 0n });
    expect(s.counters.has(TOTAL_KEY)).toBe(false);
  });

  it('a partial refund leaves the rest counted', () => {
    const s = books();
    reserve(s, 'a', 500n, 1_000n);
    commit(s, 'a', 400n);
    expect(s.refund({ requestId: 'req-a', micros: 150n, keys: [DAY_KEY], usage, now: T0 })).toBe(150n);
    expect(counter(s)).toEqual({ spent: 250n, reserved: 0n });
  });
});

describe('top-up claims', () => {
  const claim = (s: BudgetState, over: object = {}) =>
    s.claimTopUp({
      owner: 'p1',
      now: T0,
      day: '2026-11-23',
      amount: 10_000_000n,
      startedAt: T0 - 1,
      maxCount: 3,
      maxPerDay: 30_000_000n,
      minIntervalMs: 60_000,
      lockTtlMs: 120_000,
      ...over,
    });

  it('claims, locks others out until finished or lapsed, and a finished top-up tells later callers to retry', () => {
    const s = books();
    expect(claim(s)).toEqual({ status: 'claimed' });
    expect(s.topUp.lock).toMatchObject({ owner: 'p1', until: T0 + 120_000 });
    expect(claim(s, { owner: 'p2', now: T0 + 119_999 })).toEqual({ status: 'busy' });
    s.finishTopUp('p2', true, T0 + 5); // not its lock: nothing happens
    expect(s.topUp.lock?.owner).toBe('p1');
    s.finishTopUp('p1', true, T0 + 10, { micros: 10_000_000n, tx: '0xabc' });
    expect(s.topUp.lock).toBeUndefined();
    expect(s.topUp.lastAt).toBe(T0 + 10);
    expect(s.views.paymentRecords()).toMatchObject([{ kind: 'topup', micros: 10_000_000n, tx: '0xabc' }]);
    // A caller whose request started before that top-up finished just retries.
    expect(claim(s, { owner: 'p2', now: T0 + 20, startedAt: T0 + 9 })).toEqual({ status: 'done-by-other' });
    expect(claim(s, { owner: 'p2', now: T0 + 20, startedAt: T0 + 10 })).toMatchObject({ reason: 'minInterval' });
  });

  it('a lapsed lock is taken over', () => {
    const s = books();
    claim(s);
    expect(claim(s, { owner: 'p2', now: T0 + 120_000, startedAt: T0 + 120_000, minIntervalMs: 0 })).toEqual({
      status: 'claimed',
    });
    expect(s.topUp.count).toBe(2);
  });

  it('refuses past maxCount, maxPerDay and before minInterval, saying when to retry', () => {
    const s = books();
    const at = (n: number) => ({ now: T0 + n * 60_000, startedAt: T0 + n * 60_000 });
    for (let i = 0; i < 3; i++) {
      expect(claim(s, at(i))).toEqual({ status: 'claimed' });
      s.finishTopUp('p1', true, T0 + i * 60_000);
    }
    expect(claim(s, at(3))).toEqual({ status: 'refused', reason: 'maxCount' });
    const day = books();
    expect(claim(day, { amount: 30_000_000n })).toEqual({ status: 'claimed' });
    day.finishTopUp('p1', true, T0);
    expect(claim(day, { ...at(2), amount: 1n })).toEqual({ status: 'refused', reason: 'maxPerDay' });
    expect(claim(day, { ...at(2), amount: 1n, day: '2026-11-24' })).toEqual({ status: 'claimed' });
    const soon = books();
    claim(soon);
    soon.finishTopUp('p1', true, T0);
    expect(claim(soon, { now: T0 + 59_999, startedAt: T0 + 1 })).toEqual({
      status: 'refused',
      reason: 'minInterval',
      retryAt: T0 + 60_000,
    });
    expect(claim(soon, { now: T0 + 60_000, startedAt: T0 + 1 })).toEqual({ status: 'claimed' });
  });

  it('finishing without a lock, or a lock from an image without its amount, changes nothing', () => {
    const s = books();
    s.finishTopUp('p1', false, T0);
    expect(s.topUp).toMatchObject({ count: 0, lastAt: 0, lock: undefined });
    const image = JSON.parse(JSON.stringify(s.image()));
    image.topUp = {
      count: 1,
      lastAt: T0,
      perDay: [{ day: '2026-11-23', micros: 5 }],
      lock: { owner: 'p1', until: T0 },
    };
    const back = BudgetState.fromImage(image, exactClock);
    back.finishTopUp('p1', false, T0 + 1);
    expect(back.topUp).toMatchObject({ count: 1, lastAt: T0, lock: undefined });
    expect(back.topUp.perDay.get('2026-11-23')).toBe(5);
  });

  it('a top-up that paid nothing gives its claim back: count, day total and last time', () => {
    const s = books();
    claim(s);
    s.finishTopUp('p1', true, T0);
    const later = T0 + 60_000;
    expect(claim(s, { now: later, startedAt: later })).toEqual({ status: 'claimed' });
    expect(s.topUp.count).toBe(2);
    s.finishTopUp('p1', false, later + 1);
    expect(s.topUp).toMatchObject({ count: 1, lastAt: T0, lock: undefined });
    expect(s.topUp.perDay.get('2026-11-23')).toBe(10_000_000);
    expect(s.views.paymentRecords()).toEqual([]);
  });
});

describe('pins', () => {
  it('the first payee pinned stays, lower-cased', () => {
    const s = books();
    expect(s.setPinIfAbsent('venice', '0xABC')).toBe('0xabc');
    expect(s.setPinIfAbsent('venice', '0xDEF')).toBe('0xabc');
  });
});

describe('the snapshot image (file store compaction)', () => {
  it('round-trips everything the books hold, and the next sweep looks at every hold', () => {
    const s = books();
    reserve(s, 'live', 100n, 10_000n, T0 + 1_000);
    reserve(s, 'lapsing', 50n, 10_000n, T0 + 500);
    reserve(s, 'paid', 300n, 10_000n);
    commit(s, 'paid', 200n, { paymentTx: `0x${'b'.repeat(64)}` });
    reserve(s, 'gone', 10n, 10_000n, T0 + 10);
    s.sweep(T0 + 10);
    reserve(s, 'freed', 10n, 10_000n);
    s.release('freed', T0);
    s.refund({ requestId: 'req-paid', micros: 20n, keys: [DAY_KEY], usage, now: T0 });
    s.setPinIfAbsent('venice', '0xabc');
    s.views.logRefusal({ at: T0, reason: 'budget', scope: 'global', window: 'daily', estimateMicros: '5' });
    s.saveJob(
      {
        id: 'q1',
        kind: 'video',
        model: 'wan',
        quoteMicros: 1n,
        scopes: ['global'],
        at: T0,
        state: 'queued',
        updatedAt: T0,
      },
      null,
    );
    s.claimTopUp({
      owner: 'p1',
      now: T0,
      day: '2026-11-23',
      amount: 5n,
      startedAt: T0 - 1,
      maxCount: 3,
      maxPerDay: 100n,
      minIntervalMs: 0,
      lockTtlMs: 1_000,
    });

    const image = JSON.parse(JSON.stringify(s.image()));
    expect(image.requests).toEqual([{ id: 'req-paid', micros: 180, ambiguous: false }]);
    expect(image.pins).toEqual([{ key: 'venice', value: '0xabc' }]);
    expect(image.refusals).toEqual([
      { at: T0, reason: 'budget', scope: 'global', window: 'daily', estimateMicros: '5' },
    ]);
    expect(image.topUp.perDay).toEqual([{ day: '2026-11-23', micros: 5 }]);
    expect(image.released).toEqual([{ id: 'freed', at: T0 }]);
    const back = BudgetState.fromImage(image, exactClock);
    expect(back.image()).toEqual(image);
    expect(image.refunded).toEqual(['req-paid']);
    expect(image.refusalTotal).toBe(1);
    expect(image.jobs).toHaveLength(1);
    expect(image.topUp.lock).toMatchObject({ owner: 'p1' });
    expect(back.knows('gone')).toBe(true);
    expect(commit(back, 'freed', 10n, { replay: true })).toBe('refused');
    expect(commit(back, 'paid', 200n)).toBe('repeat');
    // The hold that lapses at T0 + 500 is swept at once after loading, though none was swept before.
    expect(counter(back, DAY_KEY, T0 + 500)).toEqual({ spent: 180n, reserved: 100n });
  });

  it('loads an image written before released ids, refusals, refunds and jobs were kept', () => {
    const s = books();
    reserve(s, 'paid', 300n, 10_000n);
    commit(s, 'paid', 200n);
    const old = JSON.parse(JSON.stringify(s.image()));
    delete old.released;
    const back = BudgetState.fromImage(old, exactClock);
    expect(counter(back)).toEqual({ spent: 200n, reserved: 0n });
    expect(back.image()).toMatchObject({ released: [], topUp: { count: 0, lastAt: 0, perDay: [] } });
    expect(back.image()).not.toHaveProperty('refunded');
    expect(back.views.refusalLog().total).toBe(0);
  });

  it('keeps the count of refusals beyond the ones it still lists, and counts a listed log without a total', () => {
    const s = books();
    s.views.logRefusal({ at: T0, reason: 'budget' });
    const image = JSON.parse(JSON.stringify(s.image()));
    expect(BudgetState.fromImage({ ...image, refusalTotal: 7 }, exactClock).views.refusalLog().total).toBe(7);
    expect(BudgetState.fromImage({ ...image, refusalTotal: undefined }, exactClock).views.refusalLog().total).toBe(1);
  });

  it('an image of books that never refused, refunded or queued a job carries none of those fields', () => {
    const image = books().image();
    expect(image).not.toHaveProperty('refusals');
    expect(image).not.toHaveProperty('refusalTotal');
    expect(image).not.toHaveProperty('refunded');
    expect(image).not.toHaveProperty('jobs');
  });
});
