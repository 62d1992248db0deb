import { describe, expect, it, vi } from 'vitest';
import {
  createHeaderRing,
  createRingProducer,
  HEAD,
  RING_SLOTS,
  ringCounters,
  TAIL,
  TARGET,
} from '../src/header-ring.js';
import { createPresignPool } from '../src/presign-pool.js';
import { shouldSignAhead } from '../src/sign-ahead-pace.js';
import type { SignInRequest } from '../src/sign-in-message.js';

const MAX_AGE_MS = 60_000;
const request: SignInRequest = {
  chainId: 8453,
  domain: 'api.venice.ai',
  uri: 'https://api.venice.ai',
  statement: 'Sign in to Venice AI',
  ttlSeconds: 300,
};

/** A ring and its producer on this thread, on one injected clock; `signed` counts what the producer signed. */
function ringOnClock() {
  const clock = { now: 1_700_000_000_000 };
  const ring = createHeaderRing(() => clock.now);
  const counts = { signed: 0 };
  const producer = createRingProducer(
    ring.layout,
    async (_: SignInRequest, at: number) => `header ${++counts.signed} at ${at}`,
    () => clock.now,
  );
  const ctrl = new Int32Array(ring.layout.buffer, 0, 8);
  /** The producer does what this take asked of it (as the thread does when woken): refills, or nothing. */
  const settled = async () => {
    for (let turns = 0; turns < RING_SLOTS && (await producer.signOne()); turns++);
    const left = Atomics.load(ctrl, HEAD) - Atomics.load(ctrl, TAIL);
    const target = Atomics.load(ctrl, TARGET);
    if (left < target && shouldSignAhead(left, target)) throw new Error('the producer never refilled');
  };
  ring.want(1, 8);
  producer.define(1, request);
  return { clock, ring, counts, settled };
}

/** `calls` sign-ins `gapMs` apart: each takes a header signed ahead or signs one itself (as siwx does). */
async function callEvery(r: ReturnType<typeof ringOnClock>, gapMs: number, calls: number) {
  const before = { ...ringCounters, signed: r.counts.signed };
  let onRequest = 0;
  for (let i = 0; i < calls; i++) {
    await r.settled();
    r.clock.now += gapMs;
    if (r.ring.take(1, MAX_AGE_MS) === undefined) onRequest++;
  }
  await r.settled();
  return {
    signedAhead: r.counts.signed - before.signed,
    used: ringCounters.handedOut - before.handedOut,
    thrownAway: ringCounters.thrownAway - before.thrownAway,
    onRequest,
    wakes: ringCounters.wakes - before.wakes,
  };
}

describe('headers signed ahead: as many as are used', () => {
  it('calls 40 s apart (headers live 60 s) sign each its own: none signed ahead and thrown away stale', async () => {
    const r = ringOnClock();
    const slow = await callEvery(r, 40_000, 30);
    expect(slow.thrownAway).toBeLessThanOrEqual(2); // at most what was signed before the pace was known
    expect(slow.signedAhead).toBeLessThanOrEqual(slow.used + 2);
    expect(slow.used + slow.onRequest).toBe(30);
  });

  it('calls 10 ms apart take headers signed ahead, woken once per several calls; none is wasted', async () => {
    const r = ringOnClock();
    const fast = await callEvery(r, 10, 200);
    expect(fast.onRequest).toBeLessThanOrEqual(2); // the first calls, before the pace is known
    expect(fast.thrownAway).toBe(0);
    expect(fast.wakes).toBeLessThanOrEqual(200 / 5);
    // A pause longer than a header's life, then fast calls again: what was ready is thrown away once, then none.
    const after = await callEvery(r, 10, 0);
    r.clock.now += 5 * 60_000;
    const resumed = await callEvery(r, 10, 100);
    expect(after.signedAhead).toBe(0);
    expect(resumed.thrownAway).toBeLessThanOrEqual(8);
    expect(resumed.used).toBeGreaterThanOrEqual(95);
  });

  it('a quickening pace signs ahead again: minutes apart, then seconds apart', async () => {
    const r = ringOnClock();
    await callEvery(r, 120_000, 10);
    const quick = await callEvery(r, 1_000, 60);
    expect(quick.used).toBeGreaterThanOrEqual(50);
    expect(quick.thrownAway).toBe(0);
  });

  it('the pool of signers without a thread (`signOffThread: false`) follows the pace too', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    try {
      let signed = 0;
      const pool = createPresignPool(8, MAX_AGE_MS, async (_request, count) => {
        signed += count;
        return Array.from({ length: count }, (_, i) => `header ${signed - count + i}`);
      });
      const take = async (gapMs: number, calls: number) => {
        const before = signed;
        let used = 0;
        for (let i = 0; i < calls; i++) {
          await vi.advanceTimersByTimeAsync(gapMs);
          if (pool.take(request) !== undefined) used++;
        }
        await vi.advanceTimersByTimeAsync(gapMs);
        return { signed: signed - before, used };
      };
      const slow = await take(40_000, 30);
      expect(slow.signed).toBeLessThanOrEqual(slow.used + 2);
      const fast = await take(10, 100);
      expect(fast.used).toBeGreaterThanOrEqual(95);
      expect(fast.signed).toBeLessThanOrEqual(fast.used + 8);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the ring across the wrap of its Int32 counters', () => {
  // HEAD and TAIL are Int32 words: a thread that lives through 2^31 headers (weeks at a few thousand calls a second)
  // sees them wrap. Before, the slot index went negative there: the producer threw (the thread died) and no header
  // was handed out again from that ring.
  it('the ring goes on handing out headers, in order, across the wrap of its counters', async () => {
    const clock = { now: 1_700_000_000_000 };
    const ring = createHeaderRing(() => clock.now);
    let signed = 0;
    const producer = createRingProducer(
      ring.layout,
      async () => `header ${++signed}`,
      () => clock.now,
    );
    const ctrl = new Int32Array(ring.layout.buffer, 0, 8);
    Atomics.store(ctrl, HEAD, 2 ** 31 - 5);
    Atomics.store(ctrl, TAIL, 2 ** 31 - 5);
    ring.want(1, 4);
    producer.define(1, request);
    const taken: (string | undefined)[] = [];
    for (let call = 0; call < 3 * RING_SLOTS; call++) {
      for (let turns = 0; turns < RING_SLOTS && (await producer.signOne()); turns++);
      clock.now += 10;
      taken.push(ring.take(1, 60_000));
    }
    expect(Atomics.load(ctrl, HEAD)).toBeLessThan(0); // it did wrap
    expect(taken).toEqual(taken.map((_, i) => `header ${i + 1}`)); // each signed header, once, in order
  });
});
