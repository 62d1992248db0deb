import type { Micros } from '../money.js';
import type { PayeePins } from '../x402/quote.js';
import type { SigningPolicy } from '../x402/terms.js';
import type { BudgetTimers } from './budget-timers.js';
import type { BudgetPolicy, WindowName } from './policy.js';
import type { BudgetStore } from './store.js';

export interface ReserveRequest {
  /** Worst-case cost in micro-USD (see the estimator). */
  estimateMicros: Micros;
  scope?: string | readonly string[];
  model?: string;
  route?: string;
}

export interface Reservation {
  readonly id: string;
  readonly amountMicros: Micros;
  readonly scopes: string[];
  readonly keys: string[];
  readonly model: string;
  readonly route: string;
  readonly at: number;
}

export interface ChargeDetails {
  /** markAmbiguous only: what is outstanding (a signed payment's amount), when less than the hold. */
  outstandingMicros?: Micros;
  requestId?: string;
  model?: string;
  /** Where the actual cost came from. */
  source?: 'cost' | 'usage' | 'payment' | 'balance' | 'estimate' | 'partial';
  balanceRemainingMicros?: Micros;
  paymentTx?: string;
  note?: string;
}

export interface ChargeEvent {
  requestId?: string;
  model: string;
  route: string;
  scopes: string[];
  costUsd: number;
  costMicros: Micros;
  estimateMicros: Micros;
  source: NonNullable<ChargeDetails['source']>;
  balanceRemainingUsd?: number;
  paymentTx?: string;
  ambiguous: boolean;
  note?: string;
  /** When the call's hold was taken (ms since epoch): the windows its charge counts in. */
  at?: number;
}

/** A refunded charge (a failed video or music job) to credit: the request id its charge is known by. */
export interface RefundRequest {
  requestId: string;
  /** What Venice refunded (micro-USD); at most the request's charge is credited. */
  micros: Micros;
  /**
   * The charge's scope (a call's `scope`, or a charge's `scopes`, global first), model and hold time
   * (`ChargeEvent.at`): the windows and rows it was counted in.
   */
  scope?: string | readonly string[];
  model?: string;
  at: number;
}

export interface RefundEvent {
  requestId: string;
  model: string;
  scopes: string[];
  refundUsd: number;
  refundMicros: Micros;
}

export interface TopUpEvent {
  amountUsd: number;
  transaction?: string;
  newBalanceUsd?: number;
}

export interface WarningEvent {
  scope: string;
  window: WindowName;
  spentUsd: number;
  limitUsd: number;
}

export interface RefusedEvent {
  /** `model`, `route`, `perRequest`, a window name, or `topUp.<limit>`. */
  reason: string;
  scope?: string;
  window?: string;
  model?: string;
  route?: string;
  estimateUsd?: number;
  /** A top-up refused for its interval: when the next one is allowed (ms since epoch). */
  retryAt?: number;
}

export interface StoreDownEvent {
  error: string;
  /** Commits waiting in the local journal. */
  pending: number;
  /** Whether the journal is a file (survives a crash) or memory only. */
  durable: boolean;
}

export interface BudgetEvents {
  charge: ChargeEvent;
  /** The store failed: commits go to the local journal, new reservations are refused until it answers. */
  'store-down': StoreDownEvent;
  'store-restored': { replayed: number };
  topup: TopUpEvent;
  /** A refunded charge was credited back (once per request id). */
  refund: RefundEvent;
  warning: WarningEvent;
  exceeded: RefusedEvent;
  refused: RefusedEvent;
}

export interface CommitOutcome {
  /** USD left in the tightest window of the reservation's scope chain; undefined when no limit applies. */
  remainingUsd?: number;
  /** The cost was past belief (over $1bn): not charged; the hold stays counted, ambiguous, until reconciled. */
  ambiguous?: true;
}

export interface BudgetOptions {
  store?: BudgetStore;
  /**
   * Where commits wait while the store is unreachable (JSONL, fsynced, replayed on the next start).
   * Default: in memory — an outage loses nothing, a crash during an outage loses the waiting commits.
   */
  journalPath?: string;
  /** Injectable clock (ms since epoch) for tests. */
  now?: () => number;
  /** Injectable timers (the journal's replay timer, the top-up wait) for tests. */
  timers?: BudgetTimers;
}

export interface ReportRow {
  key: string;
  spentUsd: number;
  /** Integer micro-USD (a decimal string in JSON). */
  spentMicros: Micros;
  calls: number;
}

export interface WindowStatus {
  scope: string;
  window: WindowName;
  id: string;
  spentUsd: number;
  reservedUsd: number;
  limitUsd: number;
  remainingUsd: number;
}

export interface BudgetReport {
  by: 'scope' | 'model' | 'day';
  rows: ReportRow[];
  totalUsd: number;
  /** Integer micro-USD (a decimal string in JSON). */
  totalMicros: Micros;
  windows: WindowStatus[];
  /** `JSON.stringify(report)` works: micro-USD amounts become decimal strings. */
  toJSON(): BudgetReportJson;
}

/** A report as JSON: every micro-USD amount a decimal string (`"1500000"`), never a float. */
export type BudgetReportJson = Omit<BudgetReport, 'rows' | 'totalMicros' | 'toJSON'> & {
  rows: (Omit<ReportRow, 'spentMicros'> & { spentMicros: string })[];
  totalMicros: string;
};

export interface Budget {
  readonly policy: BudgetPolicy;
  readonly store: BudgetStore;
  readonly signingPolicy: SigningPolicy;
  readonly payeePins: PayeePins;
  /** Checks policy and reserves the estimate in every window of every scope in the chain, atomically. */
  reserve(request: ReserveRequest): Promise<Reservation>;
  /** Settles a reservation at its actual cost; answers what is left for its scope chain (tightest window). */
  commit(reservation: Reservation, actualMicros: Micros, details?: ChargeDetails): Promise<CommitOutcome>;
  release(reservation: Reservation): Promise<void>;
  /** Keeps a running call's hold alive for another TTL (the TTL is for holds of dead processes only). */
  renew(reservation: Reservation): Promise<void>;
  /** A payment went out and no answer came back: keep the estimate counted and flag it for reconciliation. */
  markAmbiguous(reservation: Reservation, details?: ChargeDetails): Promise<void>;
  /**
   * Credits a refunded charge once per request id: lowers the spent counters of the windows it was counted in, its
   * usage rows and its ledger entry (never below zero). Answers what was credited (0: already refunded, or a
   * request the budget never charged). Needs a store with `refund` (memory, file and Redis stores have it).
   */
  refund(request: RefundRequest): Promise<Micros>;
  /**
   * Bounded, single-flight auto top-up. Runs `perform` at most once for all concurrent callers (and,
   * with a shared store, across processes). Returns `performed` or `skipped` (someone else topped up
   * after `startedAt`: just retry). Throws PaymentRequiredError when policy forbids it.
   */
  topUpGate(startedAt: number, perform: (amountUsd: number) => Promise<TopUpEvent>): Promise<'performed' | 'skipped'>;
  /** What remains for a scope chain right now: the tightest window. */
  remaining(scope?: string | readonly string[]): Promise<number | undefined>;
  report(query?: { by?: 'scope' | 'model' | 'day' }): Promise<BudgetReport>;
  on<K extends keyof BudgetEvents>(event: K, listener: (event: BudgetEvents[K]) => void): () => void;
  close(): Promise<void>;
}
