/**
 * The one small interface every budget store implements. All amounts are integer micro-USD. Each
 * method is atomic with respect to every other caller of the same store (process, or machine for Redis).
 */
export interface CounterLimit {
  /** `${scope}|${windowId}`, e.g. `agent:planner|d:2026-11-23`. */
  key: string;
  limit: bigint;
}

export interface ReserveArgs {
  id: string;
  amount: bigint;
  counters: CounterLimit[];
  expiresAt: number;
  now: number;
}

export type ReserveResult = { ok: true } | { ok: false; key: string; used: bigint; limit: bigint };

export interface UsageKey {
  scopes: string[];
  model: string;
  day: string;
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
  | { status: 'refused'; reason: 'maxCount' | 'maxPerDay' | 'minInterval' };

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
  finishTopUp(owner: string, ok: boolean, now: number): Promise<void>;
  getPin(key: string): Promise<string | undefined>;
  setPinIfAbsent(key: string, value: string): Promise<string>;
  close(): Promise<void>;
}
