import { randomUUID } from 'node:crypto';
import { BudgetExceededError, ConfigError, ReservationSettledError, type X402Error } from '../errors.js';
import { formatUsd, type Micros, microsToUsd } from '../money.js';
import { CounterBook } from './budget-counters.js';
import { BudgetEmitter } from './budget-events.js';
import { buildReport } from './budget-report.js';
import { systemTimers } from './budget-timers.js';
import type { Budget, BudgetOptions, ChargeDetails, ChargeEvent, RefusedEvent, Reservation } from './budget-types.js';
import { decodeCounterKey } from './counter-key.js';
import { JournaledStore } from './journaled-store.js';
import { memoryStore } from './memory-store.js';
import { type BudgetPolicy, type BudgetPolicyInput, GLOBAL_SCOPE, parsePolicy, signingPolicyOf } from './policy.js';
import { PolicyGate } from './policy-gate.js';
import type { CommitArgs } from './store.js';
import { TopUpGate } from './top-up-gate.js';
import { dayOf, hourOf, scopeChain } from './windows.js';

export type * from './budget-types.js';
export { PolicyDeniedError } from './policy-gate.js';

const MAX_RESERVATION = 10n ** 15n; // $1bn in micro-USD

/** What a settlement counts under: the call's scopes, model, and the day and hour it started. */
const usageOf = (reservation: Reservation, details: ChargeDetails) => ({
  scopes: reservation.scopes,
  model: details.model ?? reservation.model,
  day: dayOf(reservation.at),
  hour: hourOf(reservation.at),
});

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
  });
  const topUps = new TopUpGate({ policy: policy.topUp, store, now, timers, events });
  const ttlMs = policy.reservationTtlSeconds * 1000;
  const warned = new Set<string>();
  // Reservation ids: unique across processes sharing a store, without a UUID per call.
  const idPrefix = `${randomUUID().slice(0, 13)}-`;
  let idSeq = 0;

  function refuse({ event, error }: { event: RefusedEvent; error: X402Error }): never {
    events.emit('refused', event);
    if (error instanceof BudgetExceededError) events.emit('exceeded', event);
    throw error;
  }

  function warnNearLimits(keys: string[], written: Map<string, { spent: bigint }>) {
    if (!events.listening('warning')) return;
    for (const key of keys) {
      const known = book.limitOf(key);
      const spent = written.get(key)?.spent;
      if (!known?.limit || spent === undefined || warned.has(key)) continue;
      if (Number(spent) >= Number(known.limit) * policy.warnAt) {
        warned.add(key);
        const { scope, window, limit } = known;
        events.emit('warning', { scope, window, spentUsd: microsToUsd(spent), limitUsd: microsToUsd(limit) });
      }
    }
  }

  function chargeEvent(reservation: Reservation, cost: Micros, details: ChargeDetails, ambiguous: boolean) {
    const event: ChargeEvent = {
      requestId: details.requestId,
      model: details.model ?? reservation.model,
      route: reservation.route,
      scopes: reservation.scopes,
      costUsd: microsToUsd(cost),
      costMicros: cost,
      estimateMicros: reservation.amountMicros,
      source: ambiguous ? 'estimate' : (details.source ?? 'estimate'),
      balanceRemainingUsd:
        details.balanceRemainingMicros === undefined ? undefined : microsToUsd(details.balanceRemainingMicros),
      paymentTx: details.paymentTx,
      ambiguous,
      note: ambiguous ? (details.note ?? 'outcome unknown: counted at the estimate until reconciled') : details.note,
    };
    events.emit('charge', event);
  }

  async function settle(kind: 'commit' | 'markAmbiguous', reservation: Reservation, args: CommitArgs) {
    const result = await store.commit(args);
    if (!result.ok) throw new ReservationSettledError(reservation.id, kind);
    return result.counters;
  }

  async function reserve(request: Parameters<Budget['reserve']>[0]): Promise<Reservation> {
    const amount = request.estimateMicros;
    if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_RESERVATION) {
      throw new ConfigError('A reservation must be a non-negative integer amount of micro-USD below $1bn', {
        estimate: String(amount),
      });
    }
    const scopes = scopeChain(request.scope);
    const refusal = gate.check(request, scopes, amount);
    if (refusal) refuse(refusal);
    const t = now();
    const counters = book.at(scopes, t);
    const id = `${idPrefix}${++idSeq}`;
    const result = await store.reserve({ id, amount, counters: counters.limits, expiresAt: t + ttlMs, now: t });
    const model = request.model ?? 'unknown';
    const route = request.route ?? 'unknown';
    if (!result.ok) {
      const counter = decodeCounterKey(result.key);
      const scope = counter?.scope ?? GLOBAL_SCOPE;
      const window = counter?.window ?? 'total';
      refuse({
        event: { reason: window, scope, window, model, route, estimateUsd: microsToUsd(amount) },
        error: new BudgetExceededError(
          `Budget exceeded: ${scope} ${window} limit $${formatUsd(result.limit, 2)} (used $${formatUsd(result.used)}, this call up to $${formatUsd(amount)})`,
          {
            limit: window,
            scope,
            usedUsd: microsToUsd(result.used),
            limitUsd: microsToUsd(result.limit),
            estimateUsd: microsToUsd(amount),
          },
        ),
      });
    }
    return { id, amountMicros: amount, scopes, keys: counters.keys, model, route, at: t };
  }

  return {
    policy,
    store,
    signingPolicy: signingPolicyOf(policy),
    payeePins: { getPin: (k) => store.getPin(k), setPinIfAbsent: (k, v) => store.setPinIfAbsent(k, v) },
    reserve,

    async commit(reservation, actualMicros, details = {}) {
      const actual = actualMicros < 0n ? 0n : actualMicros;
      const written = await settle('commit', reservation, {
        id: reservation.id,
        actual,
        keys: reservation.keys,
        usage: usageOf(reservation, details),
        requestId: details.requestId,
        paymentTx: details.paymentTx,
        now: now(),
      });
      // What is left comes with the commit's answer: no second store round trip.
      const outcome = { remainingUsd: book.remaining(reservation.keys, written) };
      if (events.listening('charge')) chargeEvent(reservation, actual, details, false);
      warnNearLimits(reservation.keys, written);
      return outcome;
    },

    async release(reservation) {
      if (!(await store.release(reservation.id, now()))) throw new ReservationSettledError(reservation.id, 'release');
    },

    async renew(reservation) {
      const t = now();
      await store.renew(reservation.id, t + ttlMs, t);
    },

    async markAmbiguous(reservation, details = {}) {
      const claimed = details.outstandingMicros;
      const outstanding =
        claimed !== undefined && claimed >= 0n && claimed < reservation.amountMicros
          ? claimed
          : reservation.amountMicros;
      await settle('markAmbiguous', reservation, {
        id: reservation.id,
        actual: outstanding,
        keys: reservation.keys,
        usage: usageOf(reservation, details),
        requestId: details.requestId ?? `ambiguous:${reservation.id}`,
        ambiguous: true,
        paymentTx: details.paymentTx,
        now: now(),
      });
      chargeEvent(reservation, outstanding, details, true);
    },

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
