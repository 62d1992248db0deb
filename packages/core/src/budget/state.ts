import { StoreInputError } from '../errors.js';
import { type JobJson, jobFromJson, jobToJson } from './job-record.js';
import { RecentIds } from './recent-ids.js';
import type { RefusalJson } from './refusal-log.js';
import { type PaymentEntry, SpendViews } from './spend-views.js';
import type {
  CommitArgs,
  CounterState,
  HoldRecord,
  JobRecord,
  JobState,
  RefundArgs,
  ReserveArgs,
  ReserveResult,
  TopUpClaim,
  TopUpClaimArgs,
  TopUpRecord,
} from './store.js';
import { isSettledJob } from './store.js';
import { StoreClock } from './store-clock.js';
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

/**
 * How long a settled id is remembered (a resent commit is recognised) and an expired hold stays committable: at
 * least this, at most twice this (see `RecentIds`).
 */
export const SETTLED_RETENTION_MS = 24 * 3_600_000;
/** At most this many settled ids (and as many expired holds) are remembered, the oldest forgotten first. */
export const SETTLED_LIMIT = 20_000;

/** What a commit did: applied it, found the very same settlement already applied (a resend), or refused it. */
export type CommitEffect = 'applied' | 'repeat' | 'refused';

/** A plain-JSON image of the state: the file store's snapshot line. */
export interface StateImage {
  counters: { key: string; spent: number; reserved: number }[];
  holds: { id: string; micros: number; counters: string[]; expiresAt: number }[];
  usage: { scope: string; model: string; day: string; micros: number; calls: number }[];
  requests: { id: string; micros: number; ambiguous: boolean }[];
  pins: { key: string; value: string }[];
  expired: { id: string; at: number }[];
  settled: { id: string; micros: number; at: number }[];
  released?: { id: string; at: number }[];
  series: { hour: string; model: string; scopes: string[]; micros: number; calls: number }[];
  payments: PaymentEntry[];
  /** The refusal log (written since version 0.2; absent in older snapshots). */
  refusals?: RefusalJson[];
  refusalTotal?: number;
  /** Request ids whose charge a refund credited, and async job records (absent until the first of each). */
  refunded?: string[];
  jobs?: JobJson[];
  topUp: {
    count: number;
    lastAt: number;
    perDay: { day: string; micros: number }[];
    lock?: { owner: string; until: number };
  };
}

/**
 * The budget's books as plain synchronous state. The memory store uses it directly; the file store
 * replays its journal into it. Reservations past their TTL are swept so a dead holder frees its budget.
 *
 * Inside, micro-USD are JS numbers (exact integers up to $9 billion) — BigInt arithmetic allocates and
 * would halve the hot path's throughput. The store interface stays bigint.
 *
 * What is old (an ended window, an expired hold, a lapsed top-up lock, a settled id) is decided by the store's
 * clock (`StoreClock`), never by one caller's reading alone.
 */
export class BudgetState {
  readonly counters = new Map<string, Counter>();
  readonly reservations = new Map<string, Reservation>();
  /** Reservations whose hold expired unsettled (id → when): still committable once, then forgotten. */
  readonly expired = new RecentIds<number>(SETTLED_RETENTION_MS, SETTLED_LIMIT);
  /** Settled commits (id → micros and when): a resend of the same settlement is recognised, not counted again. */
  readonly settled = new RecentIds<number>(SETTLED_RETENTION_MS, SETTLED_LIMIT);
  /** Reservations released (id → when): a commit of one replayed from a journal later must not count. */
  readonly released = new RecentIds<number>(SETTLED_RETENTION_MS, SETTLED_LIMIT);
  readonly pins = new Map<string, string>();
  readonly views = new SpendViews();
  /** Request ids whose charge was refunded (credited once). */
  readonly refunded = new Set<string>();
  /** Async jobs by queue id. */
  readonly jobs = new Map<string, JobRecord>();
  /** Settled job records (failed, completed) → when they settled on the store's clock, in settlement order. */
  private readonly settledJobs = new Map<string, number>();
  topUp = {
    count: 0,
    lastAt: 0,
    perDay: new Map<string, number>(),
    /** The claim in progress, with what finishing it without a payment gives back. */
    lock: undefined as TopUpLock | undefined,
  };
  private nextExpiry = Number.POSITIVE_INFINITY;
  private nextPrune = 0;

  constructor(readonly clock = new StoreClock()) {}

  private counter(key: string): Counter {
    let c = this.counters.get(key);
    if (!c) {
      c = { spent: 0, reserved: 0 };
      this.counters.set(key, c);
    }
    return c;
  }

  /** Frees the holds that expired. A reading below the next expiry needs no clock: nothing can have expired. */
  // Stryker disable next-line BooleanLiteral: equivalent, sweeping more often than needed frees nothing early
  sweep(now: number, force = false) {
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: equivalent, as above (a fast path only)
    if (now < this.nextExpiry && !force) return;
    const t = this.clock.trusted(now);
    let next = Number.POSITIVE_INFINITY;
    for (const [id, r] of this.reservations) {
      if (r.expiresAt <= t) {
        this.drop(id, r);
        this.expired.set(id, t, t);
        continue;
      }
      // Stryker disable next-line EqualityOperator: equivalent, `<=` picks the same earliest expiry
      if (r.expiresAt < next) next = r.expiresAt;
    }
    this.nextExpiry = next;
  }

  private drop(id: string, r: Reservation) {
    for (const key of r.keys) this.counter(key).reserved -= r.amount;
    this.reservations.delete(id);
  }

  /**
   * Forgets, at most once an hour, what is old by the store's clock: counters of windows that ended more than a
   * day ago (`windowExpiry`) and hold nothing, and settled / expired ids past their retention. A window that still
   * has a live hold is never forgotten, however old its id says it is.
   */
  private prune(now: number) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, pruning more often forgets nothing sooner
    if (now < this.nextPrune) return;
    const t = this.clock.trusted(now);
    // Stryker disable next-line ArithmeticOperator: equivalent, as above
    this.nextPrune = t + 3_600_000;
    for (const [key, c] of this.counters) {
      const ends = windowExpiry(key);
      // Stryker disable next-line ConditionalExpression: equivalent, `undefined <= t` is false as well
      if (ends !== undefined && ends <= t && c.reserved === 0) this.counters.delete(key);
    }
    this.settled.tidy(t);
    this.released.tidy(t);
    this.expired.tidy(t);
  }

  reserve(args: ReserveArgs): ReserveResult {
    if (this.knows(args.id)) throw new StoreInputError('reservation', 'id', 'is already in use');
    this.sweep(args.now);
    this.prune(args.now);
    const amount = Number(args.amount);
    for (const { key, limit } of args.counters) {
      const c = this.counters.get(key);
      const used = c ? c.spent + c.reserved : 0;
      if (BigInt(used + amount) > limit) return { ok: false, key, used: BigInt(used), limit };
    }
    this.hold(
      args.id,
      amount,
      args.counters.map((c) => c.key),
      args.expiresAt,
    );
    return { ok: true };
  }

  /** Whether `id` is held, expired or settled (a reservation id is used once). */
  knows(id: string): boolean {
    return this.reservations.has(id) || this.expired.has(id) || this.settled.has(id);
  }

  /** Adds a hold without checking limits (a reservation already decided, or replayed from a journal). */
  hold(id: string, amount: number, keys: string[], expiresAt: number) {
    for (const key of keys) this.counter(key).reserved += amount;
    this.reservations.set(id, { amount, keys, expiresAt });
    // Stryker disable next-line EqualityOperator: equivalent, `<=` keeps the same earliest expiry
    if (expiresAt < this.nextExpiry) this.nextExpiry = expiresAt;
  }

  /**
   * Moves a reservation to spent at its actual cost, once. Works when the hold already expired (the money was
   * spent all the same). A commit of an id already settled at the same amount is a resend of it: `repeat`, and
   * nothing is counted again; at another amount, or for an id never reserved, `refused`.
   */
  commit(args: CommitArgs): CommitEffect {
    const actual = Number(args.actual);
    const r = this.reservations.get(args.id);
    if (r) this.drop(args.id, r);
    else if (!this.expired.delete(args.id)) {
      const settled = this.settled.get(args.id);
      if (settled !== undefined) return settled === actual ? 'repeat' : 'refused';
      if (!args.replay || this.released.has(args.id)) return 'refused';
    }
    for (const key of args.keys) this.counter(key).spent += actual;
    this.views.add(args, actual);
    this.settled.set(args.id, actual, args.now);
    return 'applied';
  }

  /** Credits a refunded charge once per request id, never more than it was charged, never below zero. */
  refund(args: RefundArgs): bigint {
    const request = this.views.requests.get(args.requestId);
    if (!request || this.refunded.has(args.requestId)) return 0n;
    const amount = Math.min(Number(args.micros), request.micros);
    if (!(amount > 0)) return 0n;
    this.refunded.add(args.requestId);
    for (const key of args.keys) {
      const c = this.counters.get(key);
      if (c) c.spent = Math.max(0, c.spent - amount);
    }
    this.views.subtract(args.usage, args.usage.hour ?? hourOf(args.now), args.requestId, amount);
    return BigInt(amount);
  }

  /** Writes a job record when its state is `expected` (null: absent). */
  saveJob(job: JobRecord, expected: JobState | null): boolean {
    if ((this.jobs.get(job.id)?.state ?? null) !== expected) return false;
    this.jobs.set(job.id, { ...job, scopes: [...job.scopes] });
    if (!isSettledJob(job.state)) this.settledJobs.delete(job.id);
    else if (!this.settledJobs.has(job.id)) this.settledJobs.set(job.id, this.clock.trusted(job.updatedAt));
    return true;
  }

  /**
   * Forgets settled job records older than `retentionMs` on the store's clock, oldest first; never a queued or
   * delivered one. Live operations call it; a journal replay does not (it applies what writers decided).
   */
  forgetSettledJobs(retentionMs: number) {
    const t = this.clock.anchored();
    for (const [id, at] of this.settledJobs) {
      if (at + retentionMs > t) break;
      this.settledJobs.delete(id);
      if (isSettledJob(this.jobs.get(id)?.state)) this.jobs.delete(id);
    }
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
    if (r.expiresAt <= this.clock.trusted(now)) {
      // Stryker disable next-line BooleanLiteral,CallExpression: equivalent, every read sweeps a lapsed hold first
      this.sweep(now, true); // too late: the hold already lapsed
      return false;
    }
    r.expiresAt = expiresAt;
    return true;
  }

  /** Frees a hold once: false when the reservation was already settled. */
  release(id: string, now = Date.now()): boolean {
    const r = this.reservations.get(id);
    if (r) this.drop(id, r);
    else if (!this.expired.delete(id)) return false;
    this.released.set(id, now, now);
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
    const at = this.clock.trusted(a.now);
    const locked = t.lock !== undefined && t.lock.until > at;
    if (t.lastAt > a.startedAt && !locked) return { status: 'done-by-other' };
    if (locked) return { status: 'busy' };
    if (t.count >= a.maxCount) return { status: 'refused', reason: 'maxCount' };
    if (BigInt(t.perDay.get(a.day) ?? 0) + a.amount > a.maxPerDay) return { status: 'refused', reason: 'maxPerDay' };
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, `lastAt` 0 (never) is decades before any clock
    if (t.lastAt > 0 && at - t.lastAt < a.minIntervalMs)
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
    else this.giveBack(lock);
    if (ok && topUp) this.views.logPayment({ kind: 'topup', at: now, micros: Number(topUp.micros), tx: topUp.tx });
  }

  /** A claim's count, day total and last time, given back (a lock from before 0.2 carries none of them). */
  private giveBack(lock: TopUpLock) {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, a claim writes both or neither
    if (lock.day !== undefined && lock.amount !== undefined) {
      this.topUp.count--;
      this.topUp.perDay.set(lock.day, (this.topUp.perDay.get(lock.day) ?? 0) - lock.amount);
      this.topUp.lastAt = lock.lastAtBefore ?? 0;
    }
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

  setPinIfAbsent(key: string, value: string): string {
    if (!this.pins.has(key)) this.pins.set(key, value.toLowerCase());
    return this.pins.get(key)!;
  }

  /** A plain-JSON image of the state (file store compaction): every counter, hold, expired and settled id. */
  image(): StateImage {
    const views = this.views;
    return {
      counters: [...this.counters].map(([key, c]) => ({ key, spent: c.spent, reserved: c.reserved })),
      holds: [...this.reservations].map(([id, r]) => ({
        id,
        micros: r.amount,
        counters: r.keys,
        expiresAt: r.expiresAt,
      })),
      usage: views.usageRows().map((u) => ({ ...u, micros: Number(u.micros) })),
      requests: [...views.requests].map(([id, r]) => ({ id, micros: r.micros, ambiguous: r.ambiguous })),
      pins: [...this.pins].map(([key, value]) => ({ key, value })),
      expired: [...this.expired.entries()].map(([id, at]) => ({ id, at })),
      settled: [...this.settled.entries()].map(([id, micros, at]) => ({ id, micros, at })),
      released: [...this.released.entries()].map(([id, at]) => ({ id, at })),
      series: views.seriesRows('').map((r) => ({ ...r, micros: Number(r.micros) })),
      payments: views.payments.map((p) => ({ ...p })),
      // Only once something was refused: the image of a budget that never refused is what 0.1 wrote.
      ...(views.refusalTotal > 0 && {
        refusals: views.refusals.map((r) => ({ ...r })),
        refusalTotal: views.refusalTotal,
      }),
      ...(this.refunded.size > 0 && { refunded: [...this.refunded] }),
      ...(this.jobs.size > 0 && { jobs: [...this.jobs.values()].map(jobToJson) }),
      topUp: {
        count: this.topUp.count,
        lastAt: this.topUp.lastAt,
        perDay: [...this.topUp.perDay].map(([day, micros]) => ({ day, micros })),
        lock: this.topUp.lock,
      },
    };
  }

  static fromImage(image: StateImage, clock?: StoreClock): BudgetState {
    const st = new BudgetState(clock);
    for (const c of image.counters) st.counters.set(c.key, { spent: c.spent, reserved: c.reserved });
    // The counters already include the holds' amounts: the holds are set, not added.
    for (const h of image.holds)
      st.reservations.set(h.id, { amount: h.micros, keys: h.counters, expiresAt: h.expiresAt });
    for (const u of image.usage) st.views.addUsage(u.day, u.model, u.scope, u.micros, u.calls);
    for (const r of image.requests) st.views.requests.set(r.id, { micros: r.micros, ambiguous: r.ambiguous });
    for (const p of image.pins) st.pins.set(p.key, p.value);
    for (const e of image.expired) st.expired.set(e.id, e.at, e.at);
    for (const s of image.settled) st.settled.set(s.id, s.micros, s.at);
    for (const r of image.released ?? []) st.released.set(r.id, r.at, r.at);
    for (const r of image.series) st.views.addSeries(r.hour, r.model, r.scopes, r.micros, r.calls);
    for (const p of image.payments) st.views.logPayment(p);
    for (const r of image.refusals ?? []) st.views.logRefusal(r);
    st.views.refusalTotal = Math.max(st.views.refusals.length, image.refusalTotal ?? 0);
    for (const id of image.refunded ?? []) st.refunded.add(id);
    const jobs = (image.jobs ?? []).map(jobFromJson).sort((a, b) => a.updatedAt - b.updatedAt);
    for (const j of jobs) st.saveJob(j, st.jobs.get(j.id)?.state ?? null);
    st.topUp = {
      count: image.topUp.count,
      lastAt: image.topUp.lastAt,
      perDay: new Map(image.topUp.perDay.map((d) => [d.day, d.micros])),
      lock: image.topUp.lock,
    };
    st.nextExpiry = Number.NEGATIVE_INFINITY; // the next sweep looks at every hold
    return st;
  }
}
