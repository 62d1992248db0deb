/**
 * The memory store's own surface: what it checks before touching the books, and the pin, refusal-log and payment
 * calls a budget makes through it. A claim with a malformed amount that is not refused could take a top-up past
 * its daily cap; a pin that is not kept lets a second payee in.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore, StoreInputError } from '../src/index.js';

const T0 = Date.UTC(2026, 10, 23, 20, 30);
const claim = {
  owner: 'p1',
  now: T0,
  day: '2026-11-23',
  amount: 10_000_000n,
  startedAt: T0,
  maxCount: 3,
  maxPerDay: 30_000_000n,
  minIntervalMs: 0,
  lockTtlMs: 60_000,
};

describe('memory store', () => {
  it('refuses a malformed top-up claim before it counts anything', async () => {
    const store = memoryStore();
    for (const bad of [{ amount: -1n }, { amount: 1.5 as unknown as bigint }, { owner: '' }, { now: Number.NaN }])
      await expect(store.claimTopUp({ ...claim, ...bad })).rejects.toBeInstanceOf(StoreInputError);
    expect(await store.claimTopUp(claim)).toEqual({ status: 'claimed' });
  });

  it('pins the first payee for good, and reads it back', async () => {
    const store = memoryStore();
    expect(await store.getPin('venice')).toBeUndefined();
    expect(await store.setPinIfAbsent('venice', '0xAAA')).toBe('0xaaa');
    expect(await store.setPinIfAbsent('venice', '0xbbb')).toBe('0xaaa');
    expect(await store.getPin('venice')).toBe('0xaaa');
  });

  it('logs a refusal once it is well formed, newest first, and skips a malformed one', async () => {
    const store = memoryStore();
    await store.logRefusal!({ at: T0, reason: 'budget', scope: 'agent:a', window: 'daily', estimateMicros: 5n });
    await store.logRefusal!({ at: Number.NaN, reason: 'budget' });
    await store.logRefusal!({ at: T0 + 1, reason: 'policy', model: 'm' });
    const log = await store.refusals!(10);
    expect(log.total).toBe(2);
    expect(log.latest.map((r) => r.reason)).toEqual(['policy', 'budget']);
    expect(log.latest[1]).toMatchObject({ scope: 'agent:a', window: 'daily', estimateMicros: 5n });
    expect((await store.refusals!(1)).latest).toHaveLength(1);
  });
});
