import { expect, it } from 'vitest';
import { createHeaderRing, createRingProducer, HEAD, RING_SLOTS, TAIL } from '../src/header-ring.js';
import type { SignInRequest } from '../src/sign-in-message.js';

const request: SignInRequest = {
  chainId: 8453,
  domain: 'api.venice.ai',
  uri: 'https://api.venice.ai',
  statement: 'Sign in to Venice AI',
  ttlSeconds: 300,
};

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
