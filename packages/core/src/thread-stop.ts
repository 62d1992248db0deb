/**
 * Ending a signing thread safely. `secp256k1` is built on node-addon-api 5: a thread terminated inside one of its
 * native calls throws a C++ exception nothing catches, and the whole process aborts. So the thread marks each
 * native call busy, and whoever ends the thread (`close`, the idle stop, the process exiting) first raises stop and
 * waits until no call is running; from then on the thread never enters native code again (it parks until ended).
 */
const STOP = 0;
const BUSY = 1;

/** How long ending a thread may wait for its native call (one takes ≈ 35 µs; loading the binding a few ms). */
export const THREAD_STOP_WAIT_MS = 250;

/** The shared flags of one thread (passed as workerData). */
export const createStopFlags = () => new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);

/** Event-loop side: after this returns the thread makes no native call, so terminating it cannot abort. */
export function haltNativeCalls(buffer: SharedArrayBuffer, waitMs = THREAD_STOP_WAIT_MS): void {
  const flags = new Int32Array(buffer);
  Atomics.store(flags, STOP, 1);
  const deadline = performance.now() + waitMs;
  while (Atomics.load(flags, BUSY) === 1) {
    const left = deadline - performance.now();
    if (left <= 0) return; // never hang an exit: a call this long is stuck anyway
    Atomics.wait(flags, BUSY, 1, Math.min(left, 5));
  }
}

/** Thread side: runs `call` (a native call) unless a stop was raised, in which case the thread parks for good. */
export function stopGuard(buffer: SharedArrayBuffer): <T>(call: () => T) => T {
  const flags = new Int32Array(buffer);
  return (call) => {
    Atomics.store(flags, BUSY, 1);
    if (Atomics.load(flags, STOP) === 1) park(flags);
    try {
      return call();
    } finally {
      Atomics.store(flags, BUSY, 0);
      if (Atomics.load(flags, STOP) === 1) Atomics.notify(flags, BUSY);
    }
  };
}

/** Blocks this thread until it is terminated (which interrupts `Atomics.wait` safely). */
function park(flags: Int32Array): never {
  Atomics.store(flags, BUSY, 0);
  Atomics.notify(flags, BUSY);
  for (;;) Atomics.wait(flags, STOP, 1);
}

const live = new Set<SharedArrayBuffer>();
const haltAll = () => {
  for (const buffer of live) haltNativeCalls(buffer);
};

/** Keeps a live thread's flags so that the process exiting (naturally or by `process.exit`) halts it first. */
export function haltOnExit(buffer: SharedArrayBuffer): () => void {
  if (live.size === 0) process.on('exit', haltAll);
  live.add(buffer);
  return () => {
    live.delete(buffer);
    if (live.size === 0) process.off('exit', haltAll);
  };
}
