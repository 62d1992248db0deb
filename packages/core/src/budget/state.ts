import {
  type CommitArgs,
  type CounterState,
  type HoldRecord,
  type JobRecord,
  type JobState,
  PAYMENT_LOG_SIZE,
  type PaymentRecord,
  type RefundArgs,
  type RequestRecord,
  type ReserveArgs,
  type ReserveResult,
  SERIES_RETENTION_HOURS,
  type SeriesRow,
  type TopUpClaim,
  type TopUpClaimArgs,
  type TopUpRecord,
  type UsageRow,
} from './store.js';
import { hourOf, windowExpiry } from './windows.js';

interface Reservation {
  amount: number;
  keys: string[];
  expiresAt: number;
}

interface TopUpLock {
  owner: string;
  until: number;
  day?: string;
  amount?: number;
  lastAtBefore?: number;
}

interface Counter {
  spent: number;
  reserved: number;
}

interface SeriesCell {
  model: string;
  scopes: string[];
  micros: number;
  calls: number;
}

/** A series cell's key in memory: one scope as itself, a chain NUL-separated (the series' own encoding). */
const chainKey = (scopes: string[]) => (scopes.length === 1 ? scopes[0]! : scopes.join('\u0000'));

/** A payment log entry as kept in memory (micros as a number, like every amount here). */
type PaymentEntry = Omit<PaymentRecord, 'micros'> & { micros: number };

/**
 * The budget's books as plain synchronous state. The memory store uses it directly; the file store
 * replays its journal into it. Reservations past their TTL are swept so a dead holder frees its budget.
 *
 * Inside, micro-USD are JS numbers (exact integers up to $9 billion) — BigInt arithmetic allocates and
 * would halve the hot path's throughput. The store interface stays bigint.
 */
export class BudgetState {
  readonly counters = new Map<string, Counter>();
  private nextPrune = 0;
  readonly reservations = new Map<string, Reservation>();
  /** day → model → scope → row */
  readonly usage = new Map<string, Map<string, Map<string, { micros: number; calls: number }>>>();
  readonly requests = new Map<string, { micros: number; ambiguous: boolean }>();
  readonly pins = new Map<string, string>();
  /** Reservations whose hold expired unsettled (id → when): still committable once, then forgotten. */
  readonly expired = new Map<string, number>();
  /** hour → model → scope chain → row: spend over time, the last SERIES_RETENTION_HOURS hours. */
  readonly series = new Map<string, Map<string, Map<string, SeriesCell>>>();
  /** Pay-per-call payments and top-ups, oldest first, the last PAYMENT_LOG_SIZE. */
  readonly payments: PaymentEntry[] = [];
  /** Request ids whose charge was refunded (credited once). */
  readonly refunded = new Set<string>();
  /** Async jobs by queue id. */
  readonly jobs = new Map<string, JobRecord>();
  private seriesHour = '';
  topUp = {
    count: 0,
    lastAt: 0,
    perDay: new Map<string, number>(),
    /** The claim in progress, with what finishing it without a payment gives back. */
    lock: undefined as TopUpLock | undefined,
  };
  private nextExpiry = Number.POSITIVE_INFINITY;

  private counter(key: string): Counter {
    let c = this.counters.get(key);
    if (!c) {
      c = { spent: 0, reserved: 0 };
      this.counters.set(key, c);
    }
    return c;
  }

  /** Forces the next sweep to look at every reservation (after restoring state). */
  resetExpiry() {
    this.nextExpiry = Number.NEGATIVE_INFINITY;
  }

  sweep(now: number, force = false) {
    if (now < this.nextExpiry && !force) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [id, r] of this.reservations) {
      if (r.expiresAt <= now) {
        this.drop(id, r);
        this.expired.set(id, now);
      } else if (r.expiresAt < next) next = r.expiresAt;
    }
    this.nextExpiry = next;
  }

  private drop(id: string, r: Reservation) {
    for (const key of r.keys) this.counter(key).reserved -= r.amount;
    this.reservations.delete(id);
  }

  /** Forgets counters of windows that ended (see `windowExpiry`), at most once an hour. */
  private pruneWindows(now: number) {
    if (now < this.nextPrune) return;
    this.nextPrune = now + 3_600_000;
    for (const [key, c] of this.counters) {
      const ends = windowExpiry(key);
      if (ends !== undefined && ends <= now && c.reserved === 0) this.counters.delete(key);
    }
  }

  reserve(args: ReserveArgs): ReserveResult {
    this.sweep(args.now);
    this.pruneWindows(args.now);
    const amount = Number(args.amount);
    for (const { key, limit } of args.counters) {
      const c = this.counters.get(key);
      const used = c ? c.spent + c.reserved : 0;
      if (BigInt(used + amount) > limit) return { ok: false, key, used: BigInt(used), limit };
    }
    const keys: string[] = [];
    for (const { key } of args.counters) {
      this.counter(key).reserved += amount;
      keys.push(key);
    }
    this.reservations.set(args.id, { amount, keys, expiresAt: args.expiresAt });
    if (args.expiresAt < this.nextExpiry) this.nextExpiry = args.expiresAt;
    return { ok: true };
  }

  /**
   * Moves a reservation to spent at its actual cost, once. Works when the hold already expired (the money was
   * spent all the same); false for a reservation that is not live or expired: already settled.
   */
  commit(args: CommitArgs): boolean {
    const r = this.reservations.get(args.id);
    if (r) this.drop(args.id, r);
    else if (!this.expired.delete(args.id) && !args.replay) return false;
    const actual = Number(args.actual);
    for (const key of args.keys) this.counter(key).spent += actual;
    const { day, model } = args.usage;
    let byModel = this.usage.get(day);
    if (!byModel) this.usage.set(day, (byModel = new Map()));
    let byScope = byModel.get(model);
    if (!byScope) byModel.set(model, (byScope = new Map()));
    for (const scope of args.usage.scopes) {
      const row = byScope.get(scope);
      if (row) {
        row.micros += actual;
        row.calls++;
      } else byScope.set(scope, { micros: actual, calls: 1 });
    }
    this.addSeries(args.usage.hour ?? hourOf(args.now), model, args.usage.scopes, actual, 1);
    if (args.paymentTx) {
      this.logPayment({
        kind: 'payment',
        at: args.now,
        micros: actual,
        tx: args.paymentTx,
        requestId: args.requestId,
        model,
        scopes: args.usage.scopes,
      });
    }
    if (args.requestId) {
      const prev = this.requests.get(args.requestId);
      this.requests.set(args.requestId, {
        micros: (prev?.micros ?? 0) + actual,
        ambiguous: Boolean(args.ambiguous || prev?.ambiguous),
      });
    }
    return true;
  }

  /** Credits a refunded charge once per request id, never more than it was charged, never below zero. */
  refund(args: RefundArgs): bigint {
    const request = this.requests.get(args.requestId);
    if (!request || this.refunded.has(args.requestId)) return 0n;
    const amount = Math.min(Number(args.micros), request.micros);
    if (!(amount > 0)) return 0n;
    this.refunded.add(args.requestId);
    request.micros -= amount;
    for (const key of args.keys) {
      const c = this.counters.get(key);
      if (c) c.spent = Math.max(0, c.spent - amount);
    }
    const byScope = this.usage.get(args.usage.day)?.get(args.usage.model);
    for (const scope of args.usage.scopes) {
      const row = byScope?.get(scope);
      if (row) row.micros = Math.max(0, row.micros - amount);
    }
    const cell = this.series
      .get(args.usage.hour ?? hourOf(args.now))
      ?.get(args.usage.model)
      ?.get(chainKey(args.usage.scopes));
    if (cell) cell.micros = Math.max(0, cell.micros - amount);
    return BigInt(amount);
  }

  /** Writes a job record when its state is `expected` (null: absent). */
  saveJob(job: JobRecord, expected: JobState | null): boolean {
    const current = this.jobs.get(job.id);
    if ((current?.state ?? null) !== expected) return false;
    this.jobs.set(job.id, { ...job, scopes: [...job.scopes] });
    return true;
  }

  jobRecord(id: string): JobRecord | undefined {
    const j = this.jobs.get(id);
    return j && { ...j, scopes: [...j.scopes] };
  }

  jobRecords(): JobRecord[] {
    return [...this.jobs.values()].map((j) => ({ ...j, scopes: [...j.scopes] }));
  }

  renew(id: string, expiresAt: number, now: number): boolean {
    const r = this.reservations.get(id);
    if (!r) return false;
    if (r.expiresAt <= now) {
      this.sweep(now, true); // too late: the hold already lapsed
      return false;
    }
    r.expiresAt = expiresAt;
    return true;
  }

  /** Frees a hold once: false when the reservation was already settled. */
  release(id: string): boolean {
    const r = this.reservations.get(id);
    if (r) this.drop(id, r);
    else if (!this.expired.delete(id)) return false;
    return true;
  }

  read(keys: string[], now: number): Map<string, CounterState> {
    this.sweep(now);
    const out = new Map<string, CounterState>();
    for (const key of keys) {
      const c = this.counters.get(key);
      out.set(key, { spent: BigInt(c?.spent ?? 0), reserved: BigInt(c?.reserved ?? 0) });
    }
    return out;
  }

  claimTopUp(a: TopUpClaimArgs): TopUpClaim {
    const t = this.topUp;
    if (t.lastAt > a.startedAt && !(t.lock && t.lock.until > a.now)) return { status: 'done-by-other' };
    if (t.lock && t.lock.until > a.now) return { status: 'busy' };
    if (t.count >= a.maxCount) return { status: 'refused', reason: 'maxCount' };
    if (BigInt(t.perDay.get(a.day) ?? 0) + a.amount > a.maxPerDay) return { status: 'refused', reason: 'maxPerDay' };
    if (t.lastAt > 0 && a.now - t.lastAt < a.minIntervalMs)
      return { status: 'refused', reason: 'minInterval', retryAt: t.lastAt + a.minIntervalMs };
    this.applyClaim(a.owner, a.day, Number(a.amount), a.now, a.now + a.lockTtlMs);
    return { status: 'claimed' };
  }

  applyClaim(owner: string, day: string, amount: number, now: number, until: number) {
    const t = this.topUp;
    t.lock = { owner, until, day, amount, lastAtBefore: t.lastAt };
    t.count++;
    t.perDay.set(day, (t.perDay.get(day) ?? 0) + amount);
    t.lastAt = now;
  }

  /** ok: money may have moved (counted). Not ok: nothing was paid, so the claim is given back. */
  finishTopUp(owner: string, ok: boolean, now: number, topUp?: TopUpRecord) {
    const lock = this.topUp.lock;
    if (lock?.owner !== owner) return;
    this.topUp.lock = undefined;
    if (ok) this.topUp.lastAt = now;
    else if (lock.day !== undefined && lock.amount !== undefined) {
      this.topUp.count--;
      this.topUp.perDay.set(lock.day, (this.topUp.perDay.get(lock.day) ?? 0) - lock.amount);
      this.topUp.lastAt = lock.lastAtBefore ?? 0;
    }
    if (ok && topUp) this.logPayment({ kind: 'topup', at: now, micros: Number(topUp.micros), tx: topUp.tx });
  }

  private addSeries(hour: string, model: string, scopes: string[], micros: number, calls: number) {
    if (hour !== this.seriesHour) {
      if (hour > this.seriesHour) this.pruneSeries(hour);
      this.seriesHour = hour;
    }
    let byModel = this.series.get(hour);
    if (!byModel) this.series.set(hour, (byModel = new Map()));
    let byChain = byModel.get(model);
    if (!byChain) byModel.set(model, (byChain = new Map()));
    const chain = chainKey(scopes);
    const cell = byChain.get(chain);
    if (cell) {
      cell.micros += micros;
      cell.calls += calls;
    } else byChain.set(chain, { model, scopes: [...scopes], micros, calls });
  }

  /** Drops hours that fell out of the retention window (called when a new hour starts). */
  private pruneSeries(latest: string) {
    const cutoff = hourOf(Date.parse(`${latest}:00:00Z`) - SERIES_RETENTION_HOURS * 3_600_000);
    for (const hour of this.series.keys()) if (hour < cutoff) this.series.delete(hour);
  }

  private logPayment(entry: PaymentEntry) {
    this.payments.push(entry);
    if (this.payments.length > PAYMENT_LOG_SIZE) this.payments.splice(0, this.payments.length - PAYMENT_LOG_SIZE);
  }

  seriesRows(fromHour: string, toHour = '\uffff'): SeriesRow[] {
    const rows: SeriesRow[] = [];
    for (const [hour, byModel] of this.series) {
      if (hour < fromHour || hour > toHour) continue;
      for (const byChain of byModel.values()) {
        for (const c of byChain.values())
          rows.push({ hour, model: c.model, scopes: [...c.scopes], micros: BigInt(c.micros), calls: c.calls });
      }
    }
    return rows;
  }

  holdRecords(now: number): HoldRecord[] {
    this.sweep(now);
    return [...this.reservations].map(([id, r]) => ({
      id,
      micros: BigInt(r.amount),
      keys: [...r.keys],
      expiresAt: r.expiresAt,
    }));
  }

  paymentRecords(limit = PAYMENT_LOG_SIZE): PaymentRecord[] {
    return this.payments
      .slice(-Math.max(0, limit))
      .reverse()
      .map((p) => ({ ...p, micros: BigInt(p.micros), scopes: p.scopes && [...p.scopes] }));
  }

  setPinIfAbsent(key: string, value: string): string {
    if (!this.pins.has(key)) this.pins.set(key, value.toLowerCase());
    return this.pins.get(key)!;
  }

  usageRows(): UsageRow[] {
    const rows: UsageRow[] = [];
    for (const [day, byModel] of this.usage) {
      for (const [model, byScope] of byModel) {
        for (const [scope, r] of byScope) rows.push({ scope, model, day, micros: BigInt(r.micros), calls: r.calls });
      }
    }
    return rows;
  }

  requestRecords(): Map<string, RequestRecord> {
    const out = new Map<string, RequestRecord>();
    for (const [id, r] of this.requests) out.set(id, { micros: BigInt(r.micros), ambiguous: r.ambiguous });
    return out;
  }

  /** A plain-JSON image of the state (file store compaction). */
  snapshot() {
    return {
      counters: [...this.counters].map(([k, c]) => [k, c.spent, c.reserved]),
      reservations: [...this.reservations].map(([id, r]) => [id, r.amount, r.keys, r.expiresAt]),
      usage: this.usageRows().map((u) => [u.scope, u.model, u.day, Number(u.micros), u.calls]),
      requests: [...this.requests].map(([id, r]) => [id, r.micros, r.ambiguous]),
      pins: [...this.pins],
      expired: [...this.expired],
      series: this.seriesRows('').map((r) => [r.hour, r.model, r.scopes, Number(r.micros), r.calls]),
      payments: this.payments.map((p) => ({ ...p })),
      refunded: [...this.refunded],
      jobs: [...this.jobs.values()].map(jobToJson),
      topUp: {
        count: this.topUp.count,
        lastAt: this.topUp.lastAt,
        perDay: [...this.topUp.perDay],
        lock: this.topUp.lock,
      },
    };
  }

  static restore(e: ReturnType<BudgetState['snapshot']>): BudgetState {
    const st = new BudgetState();
    for (const [k, spent, reserved] of e.counters as [string, number, number][])
      st.counters.set(k, { spent, reserved });
    for (const [id, amount, keys, expiresAt] of e.reservations as [string, number, string[], number][]) {
      st.reservations.set(id, { amount, keys, expiresAt });
    }
    for (const [scope, model, day, micros, calls] of e.usage as [string, string, string, number, number][]) {
      st.commitUsage(day, model, scope, micros, calls);
    }
    for (const [id, micros, ambiguous] of e.requests as [string, number, boolean][])
      st.requests.set(id, { micros, ambiguous });
    for (const [k, v] of e.pins as [string, string][]) st.pins.set(k, v);
    for (const [id, at] of (e.expired ?? []) as [string, number][]) st.expired.set(id, at);
    for (const [hour, model, scopes, micros, calls] of (e.series ?? []) as [string, string, string[], number, number][])
      st.addSeries(hour, model, scopes, micros, calls);
    for (const p of (e.payments ?? []) as PaymentEntry[]) st.logPayment(p);
    for (const id of (e.refunded ?? []) as string[]) st.refunded.add(id);
    for (const j of (e.jobs ?? []) as JobJson[]) st.jobs.set(j.id, jobFromJson(j));
    st.topUp = {
      count: e.topUp.count,
      lastAt: e.topUp.lastAt,
      perDay: new Map(e.topUp.perDay as [string, number][]),
      lock: e.topUp.lock ?? undefined,
    };
    st.resetExpiry();
    return st;
  }

  private commitUsage(day: string, model: string, scope: string, micros: number, calls: number) {
    let byModel = this.usage.get(day);
    if (!byModel) this.usage.set(day, (byModel = new Map()));
    let byScope = byModel.get(model);
    if (!byScope) byModel.set(model, (byScope = new Map()));
    byScope.set(scope, { micros, calls });
  }
}

/** A job record as plain JSON (micro-USD as decimal strings). */
export type JobJson = Omit<JobRecord, 'quoteMicros' | 'refundedMicros'> & {
  quoteMicros: string;
  refundedMicros?: string;
};

export const jobToJson = (j: JobRecord): JobJson => ({
  ...j,
  scopes: [...j.scopes],
  quoteMicros: String(j.quoteMicros),
  refundedMicros: j.refundedMicros === undefined ? undefined : String(j.refundedMicros),
});

export const jobFromJson = (j: JobJson): JobRecord => ({
  ...j,
  scopes: [...j.scopes],
  quoteMicros: BigInt(j.quoteMicros),
  refundedMicros: j.refundedMicros === undefined ? undefined : BigInt(j.refundedMicros),
});
