import { createSignAheadPace, shouldSignAhead } from './sign-ahead-pace.js';

/**
 * Finished Sign-In-With-X headers handed from the signing thread to the event loop through shared memory: the
 * thread keeps a few signed ahead, the event loop takes one per call with a few loads and stores — no message,
 * no wake-up of the event loop, no structured clone. One producer (the thread), one consumer (the event loop).
 *
 * Layout of the SharedArrayBuffer: control words (Int32), then per slot its signing time and generation
 * (Float64 pairs), its length (Int32), and its bytes (a header is base64, so latin1 is exact).
 */
export const RING_SLOTS = 16;
const SLOT_BYTES = 4096;

/** Indices of the control words. */
export const HEAD = 0; // headers written, ever (the thread stores it after the slot is complete)
export const TAIL = 1; // headers taken, ever (the event loop stores it)
export const TARGET = 2; // how many to keep ready
export const GEN = 3; // which sign-in parameters are wanted; a slot of another generation is thrown away
export const BELL = 4; // rung (incremented) by the event loop whenever the thread has something to do

const CONTROL_BYTES = 32;

// HEAD and TAIL are Int32 counters that wrap after 2^31 headers: counted and indexed modulo 2^32 (a multiple of the
// slot count), so a long-lived thread's ring goes on across the wrap.
const next = (count: number) => (count + 1) | 0;
const slotOf = (count: number, slots: number) => (count >>> 0) % slots;
/** Headers written and not yet taken. */
const ready = (ctrl: Int32Array) => (Atomics.load(ctrl, HEAD) - Atomics.load(ctrl, TAIL)) | 0;

const META = CONTROL_BYTES;
const LENS = META + RING_SLOTS * 16;
const BYTES = LENS + RING_SLOTS * 4;

/** What the signing thread needs to find its way in the buffer (passed as workerData). */
export interface RingLayout {
  buffer: SharedArrayBuffer;
  slots: number;
  slotBytes: number;
  meta: number;
  lens: number;
  bytes: number;
}

/**
 * Sign-In-With-X headers of signing threads in this process, ever (benchmarks, tests): signed ahead and handed out,
 * signed ahead and thrown away (stale, or signed for other parameters), signed on request (none was ready), and
 * how often the event loop woke a thread to sign more.
 */
export const ringCounters = { handedOut: 0, thrownAway: 0, onRequest: 0, wakes: 0 };

export interface HeaderRing {
  readonly layout: RingLayout;
  /** Wakes the thread: something changed (a message was posted to it, the wanted parameters). */
  ring(): void;
  /** Asks the thread for up to `target` headers of generation `gen` (it learns the parameters by message). */
  want(gen: number, target: number): void;
  /**
   * A header of generation `gen` signed less than `maxAgeMs` ago, or undefined; stale ones are dropped. Each call
   * sets how many the thread keeps ahead from the pace of the calls (`createSignAheadPace`).
   */
  take(gen: number, maxAgeMs: number): string | undefined;
}

export function createHeaderRing(now: () => number = Date.now): HeaderRing {
  const buffer = new SharedArrayBuffer(BYTES + RING_SLOTS * SLOT_BYTES);
  const ctrl = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
  const meta = new Float64Array(buffer, META, RING_SLOTS * 2);
  const lens = new Int32Array(buffer, LENS, RING_SLOTS);
  const bytes = Buffer.from(buffer, BYTES, RING_SLOTS * SLOT_BYTES);
  let pace = createSignAheadPace(0);
  let waking = false;
  const ring = () => {
    Atomics.add(ctrl, BELL, 1);
    Atomics.notify(ctrl, BELL);
  };
  const wake = () => {
    waking = false;
    ringCounters.wakes++;
    ring();
  };
  return {
    layout: { buffer, slots: RING_SLOTS, slotBytes: SLOT_BYTES, meta: META, lens: LENS, bytes: BYTES },
    ring,
    want(gen, target) {
      pace = createSignAheadPace(Math.max(0, Math.min(RING_SLOTS, target)));
      Atomics.store(ctrl, TARGET, pace.ahead());
      Atomics.store(ctrl, GEN, gen);
      ring();
    },
    take(gen, maxAgeMs) {
      const at = now();
      const ahead = pace.next(at, maxAgeMs);
      Atomics.store(ctrl, TARGET, ahead);
      let value: string | undefined;
      for (let tail = Atomics.load(ctrl, TAIL); !value && tail !== Atomics.load(ctrl, HEAD); tail = next(tail)) {
        const slot = slotOf(tail, RING_SLOTS);
        const fresh = meta[slot * 2 + 1] === gen && at - meta[slot * 2]! < maxAgeMs;
        if (fresh) value = bytes.toString('latin1', slot * SLOT_BYTES, slot * SLOT_BYTES + lens[slot]!);
        else ringCounters.thrownAway++;
        Atomics.store(ctrl, TAIL, next(tail));
      }
      // Wake the thread only when few are left (it then refills in one go), and only once this turn of the event
      // loop is done: by then the request that took the header is on the wire, so the signing overlaps the wait
      // for its answer instead of competing with its sending.
      if (!waking && shouldSignAhead(ready(ctrl), ahead)) {
        waking = true;
        setImmediate(wake).unref();
      }
      if (value) ringCounters.handedOut++;
      return value;
    },
  };
}

/**
 * The producer, run by the signing thread: keeps `TARGET` headers of the wanted generation ready. `sign(request, at)`
 * builds one header issued at `at`. The thread calls `signOne()` until it answers false, then sleeps on the bell
 * (`waitForBell`): a blocking wait, so waking it is one futex call, not a task on its event loop.
 */
export function createRingProducer<R>(
  layout: RingLayout,
  sign: (request: R, at: number) => string | Promise<string>,
  now: () => number = Date.now,
) {
  const ctrl = new Int32Array(layout.buffer, 0, CONTROL_BYTES / 4);
  const meta = new Float64Array(layout.buffer, layout.meta, layout.slots * 2);
  const lens = new Int32Array(layout.buffer, layout.lens, layout.slots);
  const bytes = Buffer.from(layout.buffer, layout.bytes, layout.slots * layout.slotBytes);
  const requests = new Map<number, R>();
  return {
    /** The parameters of a generation, sent once by message. */
    define(gen: number, request: R) {
      for (const g of requests.keys()) if (g < gen) requests.delete(g);
      requests.set(gen, request);
    },
    /** Signs one header if one is wanted; false when there is nothing to do. */
    async signOne(): Promise<boolean> {
      const head = Atomics.load(ctrl, HEAD);
      const gen = Atomics.load(ctrl, GEN);
      const request = requests.get(gen);
      if (!request || ready(ctrl) >= Atomics.load(ctrl, TARGET)) return false;
      const at = now();
      let value: string;
      try {
        value = await sign(request, at);
      } catch {
        requests.delete(gen); // these parameters cannot be signed: on request only, where the caller hears why
        return true;
      }
      const slot = slotOf(head, layout.slots);
      if (value.length > layout.slotBytes)
        requests.delete(gen); // too long to share: signed on request only
      else if (Atomics.load(ctrl, GEN) === gen) {
        bytes.write(value, slot * layout.slotBytes, 'latin1');
        lens[slot] = value.length;
        meta[slot * 2] = at;
        meta[slot * 2 + 1] = gen;
        Atomics.store(ctrl, HEAD, next(head));
      }
      return true;
    },
    /** The bell's count now: read it before looking for work, then wait on it. */
    bell: () => Atomics.load(ctrl, BELL),
    /** Blocks this thread until the bell rings past `seen` (at once if it already has). */
    waitForBell(seen: number) {
      Atomics.wait(ctrl, BELL, seen);
    },
  };
}
