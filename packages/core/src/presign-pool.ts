import { createSignAheadPace, shouldSignAhead } from './sign-ahead-pace.js';
import type { SignInRequest } from './sign-in-message.js';

/**
 * Sign-In-With-X headers signed ahead on this thread, for signers without a signing thread (`signOffThread: false`):
 * up to `size` for one set of parameters (as many as the pace of calls uses), each handed out while younger than
 * `maxAgeMs`.
 */
export function createPresignPool(
  size: number,
  maxAgeMs: number,
  signMany: (request: SignInRequest, count: number, at: number) => Promise<string[]>,
) {
  const pool: { value: string; at: number }[] = [];
  const pace = createSignAheadPace(size);
  let ahead = pace.ahead();
  let current: SignInRequest | undefined;
  let refilling = false;

  function refill() {
    // Refill in batches once few are left: one round of signing per few calls.
    if (refilling || !shouldSignAhead(pool.length, ahead)) return;
    refilling = true;
    const request = current;
    // Sign a moment later rather than right away: by then the request that took a header is on the wire and
    // the signing CPU overlaps the wait for its answer instead of delaying its send.
    const timer = setTimeout(async () => {
      try {
        while (request && pool.length < ahead && request === current) {
          const at = Date.now();
          const headers = await signMany(request, ahead - pool.length, at);
          if (request === current) for (const value of headers) pool.push({ value, at });
        }
      } catch {
        // A failed pre-sign is not an error: the next request signs inline and reports any failure itself.
      } finally {
        refilling = false;
      }
    }, 1);
    timer.unref?.();
  }

  return {
    /** A header for `request` (compared by identity) young enough, or undefined; starts a refill. */
    take(request: SignInRequest): string | undefined {
      if (request !== current) {
        pool.length = 0;
        current = request;
      }
      const now = Date.now();
      ahead = pace.next(now, maxAgeMs);
      let value: string | undefined;
      while (!value && pool.length > 0) {
        const entry = pool.shift()!;
        if (now - entry.at < maxAgeMs) value = entry.value;
      }
      refill();
      return value;
    },
    clear() {
      pool.length = 0;
      current = undefined;
    },
  };
}
