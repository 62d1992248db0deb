import { randomUUID } from 'node:crypto';
import { BudgetExceededError, ConfigError, ReservationSettledError, type X402Error } from '../errors.js';
import { CounterBook } from './budget-counters.js';
import { BudgetEmitter } from './budget-events.js';
import { creditRefund } from './budget-refund.js';
import { buildReport } from './budget-report.js';
import { systemTimers } from './budget-timers.js';
import type { Budget, BudgetOptions, ChargeDetails, RefusedEvent, Reservation } from './budget-types.js';
import { JournaledStore } from './journaled-store.js';
import { memoryStore } from './memory-store.js';
import { type BudgetPolicy, type BudgetPolicyInput, parsePolicy, signingPolicyOf } from './policy.js';
import { PolicyGate } from './policy-gate.js';
import { logRefusals } from './refusal-log.js';
import { SpendNotices } from './spend-notices.js';
import type { CommitArgs } from './store.js';
import { boundedName } from './store-input.js';
import { TopUpGate } from './top-up-gate.js';
import { dayOf, hourOf, scopeChain } from './windows.js';

export type { BudgetTimers } from './budget-timers.js';
export type {
  Budget,
  BudgetEvents,
  BudgetOptions,
  BudgetReport,
  BudgetReportJson,
  ChargeDetails,
  ChargeEvent,
  CommitOutcome,
  RefundEvent,
  RefundRequest,
  RefusedEvent,
  ReportRow,
  Reservation,
  ReserveRequest,
  StoreDownEvent,
  TopUpEvent,
  WarningEvent,
  WindowStatus,
} from './budget-types.js';
export { PolicyDeniedError } from './policy-gate.js';

const MAX_RESERVATION = 10n ** 15n; // $1bn in micro-USD

/** What a settlement counts under: the call's scopes, model, and the day and hour it started. */
const usageOf = (reservation: Reservation, details: ChargeDetails) => ({
  scopes: reservation.scopes,
  model: boundedName(details.model ?? reservation.model),
  day: dayOf(reservation.at),
  hour: hourOf(reservation.at),
});

/** A reservation's amount, refused unless it is a non-negative bigint below $1bn. */
function reservableAmount(amount: unknown): bigint {
  if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_RESERVATION) {
    throw new ConfigError('A reservation must be a non-negative integer amount of micro-USD below $1bn', {
      estimate: String(amount),
    });
  }
  return amount;
}

/** What stays counted for an ambiguous call: the caller's figure when it is within the hold, else the hold. */
function outstandingOf(reservation: Reservation, claimed: bigint | undefined): bigint {
  return claimed !== undefined && claimed >= 0n && claimed < reservation.amountMicros
    ? claimed
    : reservation.amountMicros;
}

/** Reservation ids: unique across processes sharing a store, without a UUID per call. */
function reservationIds(): () => string {
  const prefix = `${randomUUID().slice(0, 13)}-`;
  let seq = 0;
  return () => `${prefix}${++seq}`;
}

/**
 * A budget wired from its parts: the policy gate (what is refused before the store), the counter book (which
 * counters a call counts in), the journaled store (outages, fail closed), the top-up gate and the events.
 */
export function createBudget(policyInput: BudgetPolicyInput | BudgetPolicy = {}, options: BudgetOptions = {}): Budget {
  const policy = parsePolicy(policyInput);
  const now = options.now ?? Date.now;
  const timers = options.timers ?? systemTimers;
  const events = new BudgetEmitter();
  const gate = new PolicyGate(policy);
  const book = new CounterBook((scope) => gate.limitsFor(scope));
  const store = new JournaledStore(options.store ?? memoryStore(), {
    journalPath: options.journalPath,
    events,
    timers,
    now,
  });
  const topUps = new TopUpGate({ policy: policy.topUp, store, now, timers, events });
  const ttlMs = policy.reservationTtlSeconds * 1000;
  const notices = new SpendNotices(events, book, policy.warnAt);
  logRefusals(events, store, now);
  const nextId = reservationIds();

  function refuse({ event, error }: { event: RefusedEvent; error: X402Error }): never {
    events.emit('refused', event);
    if (error instanceof BudgetExceededError) events.emit('exceeded', event);
    throw error;
  }

  async function settle(kind: 'commit' | 'markAmbiguous', reservation: Reservation, args: CommitArgs) {
    const result = await store.commit(args);
    if (!result.ok) throw new ReservationSettledError(reservation.id, kind);
    return result.counters;
  }

  async function reserve(request: Parameters<Budget['reserve']>[0]): Promise<Reservation> {
    const amount = reservableAmount(request.estimateMicros);
    const scopes = scopeChain(request.scope);
    const refusal = gate.check(request, scopes, amount);
    if (refusal) refuse(refusal);
    const t = now();
    const counters = book.at(scopes, t);
    const id = nextId();
    const result = await store.reserve({ id, amount, counters: counters.limits, expiresAt: t + ttlMs, now: t });
    if (!result.ok) refuse(gate.overLimit(result, amount, request));
    const model = boundedName(request.model) ?? 'unknown';
    const route = request.route ?? 'unknown';
    return { id, amountMicros: amount, scopes, keys: counters.keys, model, route, at: t };
  }

  async function markAmbiguous(reservation: Reservation, details: ChargeDetails = {}) {
    const outstanding = outstandingOf(reservation, details.outstandingMicros);
    await settle('markAmbiguous', reservation, {
      id: reservation.id,
      actual: outstanding,
      keys: reservation.keys,
      usage: usageOf(reservation, details),
      requestId: boundedName(details.requestId) ?? `ambiguous:${reservation.id}`,
      ambiguous: true,
      paymentTx: details.paymentTx,
      now: now(),
    });
    notices.charge(reservation, outstanding, details, true);
  }

  return {
    policy,
    store,
    signingPolicy: signingPolicyOf(policy),
    payeePins: { getPin: (k) => store.getPin(k), setPinIfAbsent: (k, v) => store.setPinIfAbsent(k, v) },
    reserve,

    async commit(reservation, actualMicros, details = {}) {
      if (actualMicros > MAX_RESERVATION) {
        // No call costs over $1bn: the figure is garbage (a hostile or broken server). The hold stays counted,
        // flagged for reconcile, rather than writing an amount no store may hold or dropping the charge.
        const note = 'the server reported an impossible cost (over $1bn): counted at the hold until reconciled';
        await markAmbiguous(reservation, { ...details, note });
        return { ambiguous: true };
      }
      const actual = actualMicros < 0n ? 0n : actualMicros;
      const written = await settle('commit', reservation, {
        id: reservation.id,
        actual,
        keys: reservation.keys,
        usage: usageOf(reservation, details),
        requestId: boundedName(details.requestId),
        paymentTx: details.paymentTx,
        now: now(),
      });
      // What is left comes with the commit's answer: no second store round trip.
      const outcome = { remainingUsd: book.remaining(reservation.keys, written) };
      notices.charge(reservation, actual, details, false);
      notices.warnings(reservation.keys, written);
      return outcome;
    },

    async release(reservation) {
      if (!(await store.release(reservation.id, now()))) throw new ReservationSettledError(reservation.id, 'release');
    },

    async renew(reservation) {
      const t = now();
      await store.renew(reservation.id, t + ttlMs, t);
    },

    markAmbiguous,

    refund: (request) => creditRefund({ store, book, events, now }, request),

    topUpGate: (startedAt, perform) => topUps.run(startedAt, perform),

    async remaining(scope) {
      const t = now();
      const counters = book.at(scopeChain(scope), t);
      if (counters.keys.length === 0) return undefined;
      return book.remaining(counters.keys, await store.counters(counters.keys, t));
    },

    report: (query = {}) => buildReport(store, book, gate.limitedScopes(), query.by ?? 'scope', now()),
    on: (event, listener) => events.on(event, listener),
    close: () => store.close(),
  };
}
