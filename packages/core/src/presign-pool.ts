import type { SignInRequest } from './sign-in-message.js';

/**
 * Sign-In-With-X headers signed ahead on this thread, for signers without a signing thread (`signOffThread: false`):
 * up to `size` for one set of parameters, each handed out while younger than `maxAgeMs`.
 */
export function createPresignPool(
  size: number,
  maxAgeMs: number,
  signMany: (request: SignInRequest, count: number, at: number) => Promise<string[]>,
) {
  const pool: { value: string; at: number }[] = [];
  let current: SignInRequest | undefined;
  let refilling = false;

  function refill() {
    // Refill in batches once half the pool is used: one round of signing per few calls.
    if (refilling || pool.length > size / 2) return;
    refilling = true;
    const request = current;
    // Sign a moment later rather than right away: by then the request that took a header is on the wire and
    // the signing CPU overlaps the wait for its answer instead of delaying its send.
    const timer = setTimeout(async () => {
      try {
        while (request && pool.length < size && request === current) {
          const at = Date.now();
          const headers = await signMany(request, size - pool.length, at);
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
