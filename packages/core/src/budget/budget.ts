import { randomUUID } from 'node:crypto';
import {
  BudgetExceededError,
  ConfigError,
  PaymentRequiredError,
  ReservationSettledError,
  StoreError,
  X402Error,
} from '../errors.js';
import { formatUsd, type Micros, microsToUsd, usdToMicros } from '../money.js';
import type { PayeePins, SigningPolicy } from '../x402/quote.js';
import { CommitJournal } from './commit-journal.js';
import { allowedBy } from './glob.js';
import { memoryStore } from './memory-store.js';
import {
  type BudgetPolicy,
  type BudgetPolicyInput,
  GLOBAL_SCOPE,
  type LimitsMicros,
  limitsToMicros,
  parsePolicy,
  signingPolicyOf,
  WINDOWS,
  type WindowName,
} from './policy.js';
import type { BudgetStore, CommitArgs, CommitResult, CounterLimit, CounterState, UsageRow } from './store.js';
import { dayOf, hourOf, scopeChain, windowId } from './windows.js';

/** A policy refusal that is not about money: a denied model or route. */
export class PolicyDeniedError extends X402Error {
  override name = 'PolicyDeniedError';
  constructor(message: string, details: Record<string, unknown>) {
    super('BUDGET_EXCEEDED', message, { details });
  }
}

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
  reason: string;
  scope?: string;
  window?: string;
  model?: string;
  route?: string;
  estimateUsd?: number;
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
  warning: WarningEvent;
  exceeded: RefusedEvent;
  refused: RefusedEvent;
}

export interface CommitOutcome {
  /** USD left in the tightest window of the reservation's scope chain; undefined when no limit applies. */
  remainingUsd?: number;
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
}

export interface ReportRow {
  key: string;
  spentUsd: number;
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
  windows: WindowStatus[];
}

type Listener<T> = (event: T) => void;

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
   * Bounded, single-flight auto top-up. Runs `perform` at most once for all concurrent callers (and,
   * with a shared store, across processes). Returns `performed` or `skipped` (someone else topped up
   * after `startedAt`: just retry). Throws PaymentRequiredError when policy forbids it.
   */
  topUpGate(startedAt: number, perform: (amountUsd: number) => Promise<TopUpEvent>): Promise<'performed' | 'skipped'>;
  /** What remains for a scope chain right now: the tightest window. */
  remaining(scope?: string | readonly string[]): Promise<number | undefined>;
  report(query?: { by?: 'scope' | 'model' | 'day' }): Promise<BudgetReport>;
  on<K extends keyof BudgetEvents>(event: K, listener: Listener<BudgetEvents[K]>): () => void;
  close(): Promise<void>;
}

const MAX_RESERVATION = 10n ** 15n; // $1bn in micro-USD

/** What a settlement counts under: the call's scopes, model, and the day and hour it started. */
const usageOf = (reservation: Reservation, details: ChargeDetails) => ({
  scopes: reservation.scopes,
  model: details.model ?? reservation.model,
  day: dayOf(reservation.at),
  hour: hourOf(reservation.at),
});

const WINDOW_FIELD: Record<WindowName, keyof LimitsMicros> = {
  hourly: 'hourly',
  daily: 'daily',
  monthly: 'monthly',
  total: 'total',
};

export function createBudget(policyInput: BudgetPolicyInput | BudgetPolicy = {}, options: BudgetOptions = {}): Budget {
  const policy = parsePolicy(policyInput);
  const store = options.store ?? memoryStore();
  const now = options.now ?? Date.now;
  const globalLimits = limitsToMicros(policy.limits);
  const scopeLimits = new Map(Object.entries(policy.scopes).map(([k, v]) => [k, limitsToMicros(v)]));
  const ttlMs = policy.reservationTtlSeconds * 1000;
  const listeners = new Map<string, Set<Listener<any>>>();
  const warned = new Set<string>();
  const signingPolicy = signingPolicyOf(policy);
  // Reservation ids: unique across processes sharing a store, without a UUID per call.
  const idPrefix = `${randomUUID().slice(0, 13)}-`;
  let idSeq = 0;
  let inFlightTopUp: Promise<'performed' | 'skipped'> | undefined;

  // Venice model ids take feature suffixes (`venice-uncensored:enable_web_search=off`): a rule about the model
  // must hold whatever suffix is added, so the base id is checked too (a deny on either refuses).
  const modelAllowed = (model: string) => {
    const baseId = model.split(':')[0]!;
    const { allow, deny } = policy.models;
    if (!allowedBy({ deny }, model) || !allowedBy({ deny }, baseId)) return false;
    return allowedBy({ allow }, model) || allowedBy({ allow }, baseId);
  };

  const limitsFor = (scope: string) => (scope === GLOBAL_SCOPE ? globalLimits : scopeLimits.get(scope));

  const listening = (event: keyof BudgetEvents) => (listeners.get(event)?.size ?? 0) > 0;

  function emit<K extends keyof BudgetEvents>(event: K, payload: BudgetEvents[K]) {
    for (const fn of listeners.get(event) ?? []) {
      try {
        fn(payload);
      } catch {
        // A listener's failure must never break a paid call.
      }
    }
  }

  // Counter keys change only when the hour does: cache them per scope chain (the hot path of every call).
  let counterCache = new Map<string, CounterLimit[]>();
  let counterCacheHour = Number.NaN;
  function countersFor(scopes: string[], t: number): CounterLimit[] {
    const hour = Math.floor(t / 3_600_000);
    if (hour !== counterCacheHour) {
      counterCache = new Map();
      counterCacheHour = hour;
    }
    const cacheKey = scopes.join('/');
    let cached = counterCache.get(cacheKey);
    if (!cached) {
      cached = buildCounters(scopes, t);
      keysOf.set(
        cached,
        cached.map((c) => c.key),
      );
      if (counterCache.size < 10_000) counterCache.set(cacheKey, cached);
    }
    return cached;
  }
  const keysOf = new WeakMap<CounterLimit[], string[]>();

  function buildCounters(scopes: string[], t: number): CounterLimit[] {
    const out: CounterLimit[] = [];
    for (const scope of scopes) {
      const limits = limitsFor(scope);
      if (!limits) continue;
      for (const w of WINDOWS) {
        const limit = limits[WINDOW_FIELD[w]];
        if (limit !== undefined) out.push({ key: `${scope}|${windowId(w, t)}`, limit });
      }
    }
    return out;
  }

  function refuse(event: RefusedEvent, error: X402Error): never {
    emit('refused', event);
    if (error instanceof BudgetExceededError) emit('exceeded', event);
    throw error;
  }

  /** Limit of a counter key (`scope|windowId`), whatever window it is. */
  function limitOfKey(key: string, t: number) {
    const [scope, wid] = key.split('|') as [string, string];
    const window = WINDOWS.find((w) => windowId(w, t) === wid) ?? (wid === 't' ? 'total' : undefined);
    const limit = window && limitsFor(scope)?.[WINDOW_FIELD[window]];
    return limit === undefined ? undefined : { scope, window: window!, limit };
  }

  function remainingOf(keys: string[], state: Map<string, CounterState>, t: number): number | undefined {
    let min: bigint | undefined;
    for (const key of keys) {
      const limit = limitOfKey(key, t)?.limit;
      const c = state.get(key);
      if (limit === undefined || !c) continue;
      const left = limit - c.spent - c.reserved;
      if (min === undefined || left < min) min = left;
    }
    return min === undefined ? undefined : microsToUsd(min < 0n ? 0n : min);
  }

  function checkWarnings(keys: string[], t: number, state: Map<string, CounterState>) {
    if (!listening('warning')) return;
    for (const key of keys) {
      const known = limitOfKey(key, t);
      const c = state.get(key);
      if (!known?.limit || !c) continue;
      const { scope, window, limit } = known;
      if (!warned.has(key) && Number(c.spent) >= Number(limit) * policy.warnAt) {
        warned.add(key);
        emit('warning', { scope, window, spentUsd: microsToUsd(c.spent), limitUsd: microsToUsd(limit) });
      }
    }
  }

  const journal = new CommitJournal(options.journalPath);
  let down = false;
  let replayTimer: ReturnType<typeof setInterval> | undefined;

  function storeDown(error: unknown) {
    const wasDown = down;
    down = true;
    if (!wasDown)
      emit('store-down', {
        error: (error as Error)?.message?.slice(0, 200) ?? 'unknown',
        pending: journal.size,
        durable: journal.durable,
      });
    if (journal.size > 0 && !replayTimer) {
      replayTimer = setInterval(() => void replayJournal().catch(() => {}), 1000);
      replayTimer.unref?.();
    }
  }

  /** Replays journaled commits; refuses (fail closed) while any remain unwritten. */
  async function replayJournal() {
    let replayed: number;
    try {
      replayed = await journal.drain(store);
    } catch (error) {
      storeDown(error);
      throw new StoreError(
        `The budget store is unavailable and ${journal.size} paid call(s) wait in the local journal: no new call is allowed until they are written`,
        { cause: error, retryable: true, details: { pending: journal.size } },
      );
    }
    if (journal.size === 0) {
      clearInterval(replayTimer);
      replayTimer = undefined;
      if (down) {
        down = false;
        emit('store-restored', { replayed });
      }
    }
  }

  /** Writes a settlement; a store failure sends it to the local journal instead of losing a paid answer. */
  async function settle(kind: 'commit' | 'markAmbiguous', reservation: Reservation, args: CommitArgs) {
    if (journal.size > 0) await replayJournal().catch(() => {});
    if (journal.size === 0) {
      let result: CommitResult;
      try {
        result = await store.commit(args);
      } catch (error) {
        journal.add(args);
        storeDown(error);
        return undefined;
      }
      if (!result.ok) throw new ReservationSettledError(reservation.id, kind);
      if (down) {
        down = false;
        emit('store-restored', { replayed: 0 });
      }
      return result.counters;
    }
    journal.add(args); // keep order behind earlier unwritten commits
    return undefined;
  }

  async function remainingFor(scopes: string[], t: number): Promise<number | undefined> {
    const counters = countersFor(scopes, t);
    if (counters.length === 0) return undefined;
    const state = await store.counters(keysOf.get(counters) ?? counters.map((c) => c.key), t);
    let min: bigint | undefined;
    for (const c of counters) {
      const s = state.get(c.key)!;
      const left = c.limit - s.spent - s.reserved;
      if (min === undefined || left < min) min = left;
    }
    return min === undefined ? undefined : microsToUsd(min < 0n ? 0n : min);
  }

  const budget: Budget = {
    policy,
    store,
    signingPolicy,
    payeePins: { getPin: (k) => store.getPin(k), setPinIfAbsent: (k, v) => store.setPinIfAbsent(k, v) },

    async reserve(request) {
      if (journal.size > 0) await replayJournal();
      const t = now();
      const scopes = scopeChain(request.scope);
      const model = request.model ?? 'unknown';
      const route = request.route ?? 'unknown';
      const amount = request.estimateMicros;
      if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_RESERVATION) {
        throw new ConfigError('A reservation must be a non-negative integer amount of micro-USD below $1bn', {
          estimate: String(amount),
        });
      }
      const base = () => ({ model, route, estimateUsd: microsToUsd(amount) });
      if (request.model && !modelAllowed(request.model)) {
        refuse(
          { ...base, reason: 'model' },
          new PolicyDeniedError(`Model ${request.model} is not allowed by the budget policy`, { model }),
        );
      }
      if (request.route && !allowedBy(policy.routes, request.route)) {
        refuse(
          { ...base, reason: 'route' },
          new PolicyDeniedError(`Route ${request.route} is not allowed by the budget policy`, { route }),
        );
      }
      for (const scope of scopes) {
        const cap = limitsFor(scope)?.perRequest;
        if (cap !== undefined && amount > cap) {
          refuse(
            { ...base(), reason: 'perRequest', scope },
            new BudgetExceededError(
              `Estimated $${formatUsd(amount, 2)} exceeds the $${formatUsd(cap, 2)} per-request limit of ${scope}`,
              {
                limit: 'perRequest',
                scope,
                estimateUsd: microsToUsd(amount),
                limitUsd: microsToUsd(cap),
              },
            ),
          );
        }
      }
      const counters = countersFor(scopes, t);
      const id = `${idPrefix}${++idSeq}`;
      let result: Awaited<ReturnType<BudgetStore['reserve']>>;
      try {
        result = await store.reserve({ id, amount, counters, expiresAt: t + ttlMs, now: t });
      } catch (error) {
        storeDown(error);
        throw error instanceof StoreError
          ? error
          : new StoreError('The budget store did not answer: no new call is allowed until it does', {
              cause: error,
              retryable: true,
            });
      }
      if (!result.ok) {
        const [scope, wid] = result.key.split('|') as [string, string];
        const window = WINDOWS.find((w) => windowId(w, t) === wid) ?? 'total';
        refuse(
          { ...base(), reason: window, scope, window },
          new BudgetExceededError(
            `Budget exceeded: ${scope} ${window} limit $${formatUsd(result.limit, 2)} (used $${formatUsd(result.used, 2)}, this call up to $${formatUsd(amount, 2)})`,
            {
              limit: window,
              scope,
              usedUsd: microsToUsd(result.used),
              limitUsd: microsToUsd(result.limit),
              estimateUsd: microsToUsd(amount),
            },
          ),
        );
      }
      return {
        id,
        amountMicros: amount,
        scopes,
        keys: keysOf.get(counters) ?? counters.map((c) => c.key),
        model,
        route,
        at: t,
      };
    },

    async commit(reservation, actualMicros, details = {}) {
      const t = now();
      const actual = actualMicros < 0n ? 0n : actualMicros;
      const written = await settle('commit', reservation, {
        id: reservation.id,
        actual,
        keys: reservation.keys,
        usage: usageOf(reservation, details),
        requestId: details.requestId,
        paymentTx: details.paymentTx,
        now: t,
      });
      // What is left comes with the commit's answer: no second store round trip.
      const outcome = { remainingUsd: written ? remainingOf(reservation.keys, written, reservation.at) : undefined };
      if (!listening('charge') && !listening('warning')) return outcome;
      emit('charge', {
        requestId: details.requestId,
        model: details.model ?? reservation.model,
        route: reservation.route,
        scopes: reservation.scopes,
        costUsd: microsToUsd(actual),
        costMicros: actual,
        estimateMicros: reservation.amountMicros,
        source: details.source ?? 'estimate',
        balanceRemainingUsd:
          details.balanceRemainingMicros === undefined ? undefined : microsToUsd(details.balanceRemainingMicros),
        paymentTx: details.paymentTx,
        ambiguous: false,
        note: details.note,
      });
      if (written) checkWarnings(reservation.keys, reservation.at, written);
      return outcome;
    },

    async release(reservation) {
      let released: boolean;
      try {
        released = await store.release(reservation.id, now());
      } catch (error) {
        storeDown(error);
        return; // the hold lapses with its TTL
      }
      if (!released) throw new ReservationSettledError(reservation.id, 'release');
    },

    async renew(reservation) {
      const t = now();
      await store.renew(reservation.id, t + ttlMs, t);
    },

    async markAmbiguous(reservation, details = {}) {
      const t = now();
      const outstanding =
        details.outstandingMicros !== undefined &&
        details.outstandingMicros >= 0n &&
        details.outstandingMicros < reservation.amountMicros
          ? details.outstandingMicros
          : reservation.amountMicros;
      await settle('markAmbiguous', reservation, {
        id: reservation.id,
        actual: outstanding,
        keys: reservation.keys,
        usage: usageOf(reservation, details),
        requestId: details.requestId ?? `ambiguous:${reservation.id}`,
        ambiguous: true,
        paymentTx: details.paymentTx,
        now: t,
      });
      emit('charge', {
        requestId: details.requestId,
        model: details.model ?? reservation.model,
        route: reservation.route,
        scopes: reservation.scopes,
        costUsd: microsToUsd(outstanding),
        costMicros: outstanding,
        estimateMicros: reservation.amountMicros,
        source: 'estimate',
        paymentTx: details.paymentTx,
        ambiguous: true,
        note: details.note ?? 'outcome unknown: counted at the estimate until reconciled',
      });
    },

    topUpGate(startedAt, perform) {
      if (!policy.topUp.auto) {
        return Promise.reject(new PaymentRequiredError('Balance too low and auto top-up is off in the budget policy'));
      }
      inFlightTopUp ??= (async () => {
        const owner = randomUUID();
        const amountUsd = policy.topUp.amountUsd;
        for (;;) {
          const t = now();
          const claim = await store.claimTopUp({
            owner,
            now: t,
            day: dayOf(t),
            amount: usdToMicros(amountUsd),
            startedAt,
            maxCount: policy.topUp.maxCount,
            maxPerDay: usdToMicros(policy.topUp.maxPerDayUsd),
            minIntervalMs: policy.topUp.minIntervalSeconds * 1000,
            lockTtlMs: 120_000,
          });
          if (claim.status === 'done-by-other') return 'skipped' as const;
          if (claim.status === 'busy') {
            await new Promise((r) => setTimeout(r, 100));
            continue;
          }
          if (claim.status === 'refused') {
            const event = { reason: `topUp.${claim.reason}`, estimateUsd: amountUsd };
            emit('refused', event);
            emit('exceeded', event);
            throw new PaymentRequiredError(`Auto top-up refused by policy (${claim.reason})`, {
              details: { limit: `topUp.${claim.reason}` },
            });
          }
          let result: TopUpEvent | undefined;
          try {
            result = await perform(amountUsd);
            emit('topup', result);
            return 'performed' as const;
          } finally {
            const record = result && {
              micros: usdToMicros(Number.isFinite(result.amountUsd) ? result.amountUsd : amountUsd),
              tx: result.transaction,
            };
            await store.finishTopUp(owner, result !== undefined, now(), record);
          }
        }
      })().finally(() => {
        inFlightTopUp = undefined;
      });
      return inFlightTopUp;
    },

    remaining: (scope) => remainingFor(scopeChain(scope), now()),

    async report(query = {}) {
      const by = query.by ?? 'scope';
      const t = now();
      const usage: UsageRow[] = await store.usage();
      const rows = new Map<string, ReportRow>();
      let total = 0n;
      for (const u of usage) {
        if (by !== 'scope' && u.scope !== GLOBAL_SCOPE) continue; // every call is in global exactly once
        if (u.scope === GLOBAL_SCOPE) total += u.micros;
        const key = by === 'scope' ? u.scope : by === 'model' ? u.model : u.day;
        const row = rows.get(key) ?? { key, spentUsd: 0, spentMicros: 0n, calls: 0 };
        row.spentMicros += u.micros;
        row.calls += u.calls;
        row.spentUsd = microsToUsd(row.spentMicros);
        rows.set(key, row);
      }
      const scopes = [GLOBAL_SCOPE, ...scopeLimits.keys()];
      const counters = countersFor(scopes, t);
      const state = await store.counters(
        counters.map((c) => c.key),
        t,
      );
      const windows: WindowStatus[] = counters.map((c) => {
        const [scope, id] = c.key.split('|') as [string, string];
        const s = state.get(c.key)!;
        const left = c.limit - s.spent - s.reserved;
        return {
          scope,
          window: WINDOWS.find((w) => windowId(w, t) === id)!,
          id,
          spentUsd: microsToUsd(s.spent),
          reservedUsd: microsToUsd(s.reserved),
          limitUsd: microsToUsd(c.limit),
          remainingUsd: microsToUsd(left < 0n ? 0n : left),
        };
      });
      return {
        by,
        rows: [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
        totalUsd: microsToUsd(total),
        windows,
      };
    },

    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },

    close: async () => {
      clearInterval(replayTimer);
      await store.close();
    },
  };
  return budget;
}
