/**
 * The budget's one timer seam: the journal's replay timer and the top-up wait go through it, so tests run them on
 * fake time (`vi.useFakeTimers()` or timers of their own). The globals are read at call time, not import time.
 */
export interface BudgetTimers {
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void>;
  /** Calls `fn` every `ms` until the returned function is called; never keeps the process alive. */
  every(ms: number, fn: () => void): () => void;
}

export const systemTimers: BudgetTimers = {
  sleep: (ms) => new Promise((resolve) => globalThis.setTimeout(resolve, ms)),
  every(ms, fn) {
    const timer = globalThis.setInterval(fn, ms);
    timer.unref?.();
    return () => globalThis.clearInterval(timer);
  },
};
