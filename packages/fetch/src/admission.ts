/**
 * Per-wallet admission: Venice allows 5 requests in flight per wallet and answers the 6th with 429. Every paid
 * fetch of a wallet shares its count (they share Venice's limit), and each fetch admits by its own `maxInFlight`:
 * a call goes out while fewer than its fetch's limit are in flight. Callers beyond it wait in FIFO order.
 */
export class Admission {
  private active = 0;
  private readonly waiting: { limit: number; grant: () => void }[] = [];

  async acquire(limit: number, signal?: AbortSignal | null): Promise<() => void> {
    if (this.waiting.length === 0 && this.active < limit) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const entry = {
        limit,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        this.admit(); // the one behind it may fit now
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
    return this.releaser();
  }

  /** Lets waiting callers in, in order, while the first in line fits under its own limit. */
  private admit() {
    while (this.waiting.length > 0 && this.active < this.waiting[0]!.limit) {
      this.active++;
      this.waiting.shift()!.grant();
    }
  }

  private releaser() {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      this.admit();
    };
  }
}

const byWallet = new Map<string, Admission>();

/** The admission count of one wallet at one API origin, shared by every paid fetch of that wallet. */
export function admissionFor(wallet: string, origin: string): Admission {
  const key = JSON.stringify([wallet.toLowerCase(), origin]);
  let admission = byWallet.get(key);
  if (!admission) byWallet.set(key, (admission = new Admission()));
  return admission;
}
