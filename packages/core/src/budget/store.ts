/**
 * The one small interface every budget store implements. All amounts are integer micro-USD. Each
 * method is atomic with respect to every other caller of the same store (process, or machine for Redis).
 */
export interface CounterLimit {
  /** Opaque counter key from `encodeCounterKey` (a scope and a window id, JSON-encoded): stores never parse it. */
  key: string;
  limit: bigint;
}

export interface ReserveArgs {
  id: string;
  amount: bigint;
  counters: CounterLimit[];
  /**
   * When the hold lapses, on the caller's clock (`now`). A store shared by machines may count the TTL
   * `expiresAt - now` on its own clock instead: the Redis store does (its server's `TIME`), as it does for `renew`.
   */
  expiresAt: number;
  now: number;
}

export type ReserveResult = { ok: true } | { ok: false; key: string; used: bigint; limit: bigint };

export interface UsageKey {
  scopes: string[];
  model: string;
  day: string;
  /** UTC hour the call started (`2026-11-23T20`): the spend-over-time series. Stores fall back to the commit's hour. */
  hour?: string;
}

export interface CommitArgs {
  id: string;
  actual: bigint;
  keys: string[];
  usage: UsageKey;
  requestId?: string;
  /** Payment sent, outcome unknown: counted, flagged for reconciliation. */
  ambiguous?: boolean;
  /**
   * Replayed from the local journal after an outage: the store may have lost the reservation (a wiped
   * server), so an unknown id is applied unless the store knows it settled.
   */
  replay?: boolean;
  /** Settlement transaction of a pay-per-call x402 payment: kept in the store's payment log. */
  paymentTx?: string;
  now: number;
}

export interface CounterState {
  spent: bigint;
  reserved: bigint;
}

/** A commit's answer: the counters of its keys right after it (so no second round trip asks what is left). */
export type CommitResult = { ok: false } | { ok: true; counters: Map<string, CounterState> };

export interface UsageRow {
  scope: string;
  model: string;
  day: string;
  micros: bigint;
  calls: number;
}

export interface RequestRecord {
  micros: bigint;
  ambiguous: boolean;
}

/** Spend of one model by calls of one scope chain in one UTC hour: the time series behind a dashboard. */
export interface SeriesRow {
  /** `2026-11-23T20` */
  hour: string;
  model: string;
  /** The call's whole scope chain, `global` first: every call is in exactly one row of its hour. */
  scopes: string[];
  micros: bigint;
  calls: number;
}

/** A live hold: reserved, not settled yet (a running call, or a signed payment waiting for its answer). */
export interface HoldRecord {
  id: string;
  micros: bigint;
  /** Counter keys it holds (see `decodeCounterKey`). */
  keys: string[];
  expiresAt: number;
}

/** Money that left the wallet on-chain: a pay-per-call x402 payment or a top-up, newest first in `payments()`. */
export interface PaymentRecord {
  kind: 'payment' | 'topup';
  at: number;
  micros: bigint;
  tx?: string;
  requestId?: string;
  model?: string;
  scopes?: string[];
}

/** A finished top-up, written with `finishTopUp` so the store's payment log has it. */
export interface TopUpRecord {
  micros: bigint;
  tx?: string;
}

/** A call the budget refused (its `refused` event), as a store's refusal log keeps it: names are data. */
export interface RefusalRecord {
  at: number;
  /** `model`, `route`, `perRequest`, a window name (`daily` …), or `topUp.<limit>`. */
  reason: string;
  scope?: string;
  window?: string;
  model?: string;
  route?: string;
  /** What the refused call would have held (a refused top-up: its amount). */
  estimateMicros?: bigint;
  /** A top-up refused for its interval: when the next one is allowed (ms since epoch). */
  retryAt?: number;
}

/** The refusal log: how many refusals were ever logged, and the latest, newest first. */
export interface RefusalLog {
  total: number;
  latest: RefusalRecord[];
}

/** How long the hourly series and how many payments and refusals a store keeps. */
export const SERIES_RETENTION_HOURS = 35 * 24;
export const PAYMENT_LOG_SIZE = 500;
export const REFUSAL_LOG_SIZE = 200;

/** A refund of a charge (a failed video or music job): credited once per request id, never below zero. */
export interface RefundArgs {
  requestId: string;
  micros: bigint;
  /** The counters and usage the charge was counted in (the reservation's keys, its scopes, model, day and hour). */
  keys: string[];
  usage: UsageKey;
  now: number;
}

/** Where an async job (video, music) stands: queued (charged, running), then delivered or failed, then completed. */
export type JobState = 'queued' | 'delivered' | 'failed' | 'completed';

/**
 * How long a store keeps a settled job record (failed, or completed: nothing left to poll, refund or clean up)
 * after it settled, by the store's clock. A queued or delivered record is never forgotten.
 */
export const JOB_RETENTION_MS = 7 * 86_400_000;

/** Whether a job record is settled for good: what retention may forget. */
export const isSettledJob = (state: JobState | undefined) => state === 'failed' || state === 'completed';

/** A queued video or music job as the store keeps it, so any process can resume polling and settle it once. */
export interface JobRecord {
  /** Venice's `queue_id`: the job's id and the request id its charge (and refund) is known by. */
  id: string;
  kind: 'video' | 'audio';
  model: string;
  /** What was charged: the quote. */
  quoteMicros: bigint;
  /** The charge's scope chain and when its hold was taken: which windows a refund credits. */
  scopes: string[];
  at: number;
  state: JobState;
  /** A private model's one-time download link (Venice gives it once, in the queue answer). */
  downloadUrl?: string;
  /** What a failure's refund credited (0 when the charge was unknown to the budget). */
  refundedMicros?: bigint;
  updatedAt: number;
}

export interface TopUpClaimArgs {
  owner: string;
  now: number;
  day: string;
  amount: bigint;
  /** When the caller's failing request started: a top-up finished after it means "just retry". */
  startedAt: number;
  maxCount: number;
  maxPerDay: bigint;
  minIntervalMs: number;
  lockTtlMs: number;
}

export type TopUpClaim =
  | { status: 'claimed' }
  | { status: 'done-by-other' }
  | { status: 'busy' }
  | {
      status: 'refused';
      reason: 'maxCount' | 'maxPerDay' | 'minInterval';
      /** When a top-up is allowed again (ms since epoch), where the store knows it. */
      retryAt?: number;
    };

export interface BudgetStore {
  reserve(args: ReserveArgs): Promise<ReserveResult>;
  /**
   * Settles a reservation at its actual cost. Each reservation settles exactly once: false (and nothing changes)
   * when it was already committed or released. A reservation whose hold expired can still be committed.
   */
  commit(args: CommitArgs): Promise<CommitResult>;
  /** Frees a hold. False (and nothing changes) when the reservation was already settled. */
  release(id: string, now: number): Promise<boolean>;
  /** Extends a live reservation's expiry (a call still running keeps its hold). False when it is gone. */
  renew(id: string, expiresAt: number, now: number): Promise<boolean>;
  counters(keys: string[], now: number): Promise<Map<string, CounterState>>;
  usage(): Promise<UsageRow[]>;
  requests(): Promise<Map<string, RequestRecord>>;
  claimTopUp(args: TopUpClaimArgs): Promise<TopUpClaim>;
  /**
   * Ends a claimed top-up. ok: money may have moved, the claim stays counted (a successful one's amount and
   * transaction go to the payment log). Not ok: nothing was paid, the claim is given back (count, day, interval).
   */
  finishTopUp(owner: string, ok: boolean, now: number, topUp?: TopUpRecord): Promise<void>;
  getPin(key: string): Promise<string | undefined>;
  setPinIfAbsent(key: string, value: string): Promise<string>;
  close(): Promise<void>;
  // Read-only views for reports and dashboards (optional: a store of your own may leave them out).
  /**
   * Hourly spend by model and scope chain from `fromHour` to `toHour` (`2026-11-23T20`, both included; `toHour`
   * defaults to the current hour). The last 35 days are kept.
   */
  series?(fromHour: string, toHour?: string): Promise<SeriesRow[]>;
  /** Reservations not yet settled (expired ones are left out). */
  holds?(now: number): Promise<HoldRecord[]>;
  /** The latest pay-per-call payments and top-ups, newest first (the last 500 are kept). */
  payments?(limit?: number): Promise<PaymentRecord[]>;
  // Refunds and async jobs (optional: a store without them cannot credit refunds or resume jobs).
  /**
   * Credits a refunded charge once per request id: lowers the spent counters of `keys`, the usage and series rows
   * and the request's ledger entry by `micros` (at most what the request was charged; nothing below zero).
   * Answers what was credited: 0 when the request was already refunded or is unknown.
   */
  refund?(args: RefundArgs): Promise<bigint>;
  /** Writes a job record when its current state is `expected` (null: no record yet). False: someone else moved it. */
  saveJob?(job: JobRecord, expected: JobState | null): Promise<boolean>;
  /** Every job record the store keeps (settled ones for `JOB_RETENTION_MS` after they settled, or the store's option). */
  jobs?(): Promise<JobRecord[]>;
  /** One job record by its queue id. */
  job?(id: string): Promise<JobRecord | undefined>;
  /**
   * Appends a refused call to the refusal log (the last 200 are kept, plus a count of all). The budget writes it
   * best effort: a refusal never waits for it, and a failure here is ignored.
   */
  logRefusal?(record: RefusalRecord): Promise<void>;
  /** The refusal log: the count of all refusals logged and the latest `limit` (default 200), newest first. */
  refusals?(limit?: number): Promise<RefusalLog>;
}
