/**
 * Time on the paid path: every `Date.now`, timeout, renewal and retry wait of a paid call goes through one
 * clock (as undici's `lib/util/timers`), so tests run renewals, idle cuts, timeouts and retries on fake time.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** `unref`: the timer alone does not keep the process alive (timeouts and renewals of live calls). */
  setTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, options) {
    const timer = setTimeout(fn, ms);
    if (options?.unref) timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Waits `ms` on `clock`; false when `signal` aborted first. */
export function pause(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
