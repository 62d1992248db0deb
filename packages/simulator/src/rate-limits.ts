/** Venice's x402 route limits (docs/venice-protocol.md §2, §3, §4): requests per rolling minute, per key. */
export const X402_ROUTE_LIMITS = { topUpPerIp: 10, balancePerWallet: 30, transactionsPerWallet: 20 } as const;

const WINDOW_MS = 60_000;

export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number,
  ) {}

  /** Counts one request; false once `key` has used its limit in the last minute. */
  take(key: string): boolean {
    const t = this.now();
    const recent = (this.hits.get(key) ?? []).filter((at) => t - at < WINDOW_MS);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(t);
    this.hits.set(key, recent);
    return true;
  }
}

export const RATE_LIMITED = { error: 'Rate limit exceeded. Please try again later.' };
