/** Headers left when signing more is asked for: enough for the calls that come while the signer wakes. */
export const SIGN_AHEAD_LOW_WATER = 2;

/**
 * How many Sign-In-With-X headers to keep signed ahead, from the pace of the calls that take them: as many as are
 * used within half a header's hand-out life, at most `max`. Calls a second apart keep `max` ready; calls minutes
 * apart keep none (each signs its own), so a header signed ahead is a header used, not one thrown away stale.
 * Before the pace is known (two calls), it keeps `SIGN_AHEAD_LOW_WATER`.
 */
export function createSignAheadPace(max: number) {
  let last: number | undefined;
  let interval: number | undefined; // moving average of the time between calls, ms
  let ahead = Math.min(max, SIGN_AHEAD_LOW_WATER);
  return {
    ahead: () => ahead,
    /** Called once per call at `now` (ms): how many to keep ahead from here on. */
    next(now: number, maxAgeMs: number): number {
      if (last !== undefined) {
        const gap = Math.max(0, now - last);
        interval = interval === undefined ? gap : interval * 0.75 + gap * 0.25;
        ahead = interval === 0 ? max : Math.min(max, Math.floor(maxAgeMs / 2 / interval));
      }
      last = now;
      return ahead;
    },
  };
}

/** Whether to sign more: `left` are ready of `ahead` wanted (never when none are wanted). */
export const shouldSignAhead = (left: number, ahead: number) =>
  ahead > 0 && left <= Math.min(SIGN_AHEAD_LOW_WATER, ahead - 1);
