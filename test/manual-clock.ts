import type { Clock } from '@venice-x402/fetch';

interface Timer {
  id: number;
  at: number;
  ms: number;
  fn: () => void;
}

/**
 * A clock that moves only when the test says: the paid path's timeouts, renewals, idle cuts and retry waits fire
 * on `advance`, while the network stays real.
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #nextId = 1;
  #watchers: { match: (ms: number) => boolean; resolve: () => void }[] = [];

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now = () => this.#now;

  setTimeout = (fn: () => void, ms: number): unknown => {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), ms, fn };
    this.#timers.push(timer);
    for (const w of this.#watchers.filter((w) => w.match(ms))) {
      this.#watchers.splice(this.#watchers.indexOf(w), 1);
      w.resolve();
    }
    return timer.id;
  };

  clearTimeout = (handle: unknown) => {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  };

  /** Resolves once a timer whose delay `match`es is pending (already, or when it is set). */
  scheduled(match: (ms: number) => boolean): Promise<void> {
    if (this.#timers.some((t) => match(t.ms))) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ match, resolve }));
  }

  /** Moves time forward, firing every timer that falls due, in order (timers they set included). */
  advance(ms: number) {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers.splice(this.#timers.indexOf(due), 1);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = end;
  }
}
