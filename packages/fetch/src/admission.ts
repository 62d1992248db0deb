/**
 * Per-wallet admission: Venice allows 5 requests in flight per wallet and answers the 6th with 429.
 * Callers beyond the limit wait in FIFO order instead of failing.
 */
export class Admission {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {}

  async acquire(signal?: AbortSignal | null): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
    return this.releaser();
  }

  private releaser() {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

const shared = new Map<string, Admission>();

/** One queue per wallet and API origin, shared by every paid fetch in the process. */
export function admissionFor(key: string, limit: number): Admission {
  let a = shared.get(key);
  if (!a) {
    a = new Admission(limit);
    shared.set(key, a);
  }
  return a;
}
