import type {
  CommitArgs,
  CounterState,
  RequestRecord,
  ReserveArgs,
  ReserveResult,
  TopUpClaim,
  TopUpClaimArgs,
  UsageRow,
} from './store.js';

interface Reservation {
  amount: bigint;
  keys: string[];
  expiresAt: number;
}

/**
 * The budget's books as plain synchronous state. The memory store uses it directly; the file store
 * replays its journal into it. Reservations past their TTL are swept so a dead holder frees its budget.
 */
export class BudgetState {
  readonly counters = new Map<string, CounterState>();
  readonly reservations = new Map<string, Reservation>();
  readonly usage = new Map<string, UsageRow>();
  readonly requests = new Map<string, RequestRecord>();
  readonly pins = new Map<string, string>();
  topUp = {
    count: 0,
    lastAt: 0,
    perDay: new Map<string, bigint>(),
    lock: undefined as { owner: string; until: number } | undefined,
  };
  private nextExpiry = Number.POSITIVE_INFINITY;

  private counter(key: string): CounterState {
    let c = this.counters.get(key);
    if (!c) {
      c = { spent: 0n, reserved: 0n };
      this.counters.set(key, c);
    }
    return c;
  }

  /** Forces the next sweep to look at every reservation (after restoring state). */
  resetExpiry() {
    this.nextExpiry = Number.NEGATIVE_INFINITY;
  }

  sweep(now: number) {
    if (now < this.nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [id, r] of this.reservations) {
      if (r.expiresAt <= now) this.drop(id, r);
      else if (r.expiresAt < next) next = r.expiresAt;
    }
    this.nextExpiry = next;
  }

  private drop(id: string, r: Reservation) {
    for (const key of r.keys) this.counter(key).reserved -= r.amount;
    this.reservations.delete(id);
  }

  reserve(args: ReserveArgs): ReserveResult {
    this.sweep(args.now);
    for (const { key, limit } of args.counters) {
      const c = this.counters.get(key);
      const used = c ? c.spent + c.reserved : 0n;
      if (used + args.amount > limit) return { ok: false, key, used, limit };
    }
    const keys: string[] = [];
    for (const { key } of args.counters) {
      this.counter(key).reserved += args.amount;
      keys.push(key);
    }
    this.reservations.set(args.id, { amount: args.amount, keys, expiresAt: args.expiresAt });
    if (args.expiresAt < this.nextExpiry) this.nextExpiry = args.expiresAt;
    return { ok: true };
  }

  /** Moves a reservation to spent at its actual cost. Works even if the reservation already expired. */
  commit(args: CommitArgs) {
    const r = this.reservations.get(args.id);
    if (r) this.drop(args.id, r);
    for (const key of args.keys) this.counter(key).spent += args.actual;
    for (const scope of args.usage.scopes) {
      const k = `${scope}|${args.usage.model}|${args.usage.day}`;
      const row = this.usage.get(k);
      if (row) {
        row.micros += args.actual;
        row.calls++;
      } else this.usage.set(k, { scope, model: args.usage.model, day: args.usage.day, micros: args.actual, calls: 1 });
    }
    if (args.requestId) {
      const prev = this.requests.get(args.requestId);
      this.requests.set(args.requestId, {
        micros: (prev?.micros ?? 0n) + args.actual,
        ambiguous: Boolean(args.ambiguous || prev?.ambiguous),
      });
    }
  }

  release(id: string) {
    const r = this.reservations.get(id);
    if (r) this.drop(id, r);
  }

  read(keys: string[], now: number): Map<string, CounterState> {
    this.sweep(now);
    const out = new Map<string, CounterState>();
    for (const key of keys) {
      const c = this.counters.get(key);
      out.set(key, { spent: c?.spent ?? 0n, reserved: c?.reserved ?? 0n });
    }
    return out;
  }

  claimTopUp(a: TopUpClaimArgs): TopUpClaim {
    const t = this.topUp;
    if (t.lastAt > a.startedAt && !(t.lock && t.lock.until > a.now)) return { status: 'done-by-other' };
    if (t.lock && t.lock.until > a.now) return { status: 'busy' };
    if (t.count >= a.maxCount) return { status: 'refused', reason: 'maxCount' };
    if ((t.perDay.get(a.day) ?? 0n) + a.amount > a.maxPerDay) return { status: 'refused', reason: 'maxPerDay' };
    if (t.lastAt > 0 && a.now - t.lastAt < a.minIntervalMs) return { status: 'refused', reason: 'minInterval' };
    t.count++;
    t.perDay.set(a.day, (t.perDay.get(a.day) ?? 0n) + a.amount);
    t.lastAt = a.now;
    t.lock = { owner: a.owner, until: a.now + a.lockTtlMs };
    return { status: 'claimed' };
  }

  finishTopUp(owner: string, ok: boolean, now: number) {
    if (this.topUp.lock?.owner !== owner) return;
    this.topUp.lock = undefined;
    if (ok) this.topUp.lastAt = now;
  }

  setPinIfAbsent(key: string, value: string): string {
    if (!this.pins.has(key)) this.pins.set(key, value.toLowerCase());
    return this.pins.get(key)!;
  }

  usageRows(): UsageRow[] {
    return [...this.usage.values()].map((r) => ({ ...r }));
  }
}
