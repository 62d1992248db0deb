import { randomUUID } from 'node:crypto';
import { PaymentRequiredError, QuoteRejectedError, X402Error } from '../errors.js';
import { usdToMicros } from '../money.js';
import type { BudgetEmitter } from './budget-events.js';
import type { BudgetTimers } from './budget-timers.js';
import type { TopUpEvent } from './budget-types.js';
import type { BudgetPolicy } from './policy.js';
import type { BudgetStore, TopUpClaim } from './store.js';
import { dayOf } from './windows.js';

const LOCK_TTL_MS = 120_000;
/** How often a caller looks again while another process holds the top-up. */
const BUSY_WAIT_MS = 100;

export type TopUpOutcome = 'performed' | 'skipped';
type Perform = (amountUsd: number) => Promise<TopUpEvent>;

/**
 * Proven to have moved no money: the server refused the payment (TOP_UP_FAILED, e.g. "Payer has insufficient
 * USDC") or the quote was refused before anything was signed. Anything else may have paid.
 */
const nothingPaid = (error: unknown) =>
  error instanceof QuoteRejectedError || (error instanceof X402Error && error.code === 'TOP_UP_FAILED');

/**
 * Bounded, single-flight auto top-up: concurrent callers of this process share one attempt, and the store's claim
 * makes it one across processes. Only a top-up that may have moved money uses `maxCount`, `maxPerDayUsd` and starts
 * `minIntervalSeconds`; one proven to have paid nothing gives its claim back.
 */
export class TopUpGate {
  private inFlight: Promise<TopUpOutcome> | undefined;

  constructor(
    private readonly deps: {
      policy: BudgetPolicy['topUp'];
      store: BudgetStore;
      now: () => number;
      timers: BudgetTimers;
      events: BudgetEmitter;
    },
  ) {}

  run(startedAt: number, perform: Perform): Promise<TopUpOutcome> {
    if (!this.deps.policy.auto) {
      return Promise.reject(new PaymentRequiredError('Balance too low and auto top-up is off in the budget policy'));
    }
    this.inFlight ??= this.claimAndPerform(startedAt, perform).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async claimAndPerform(startedAt: number, perform: Perform): Promise<TopUpOutcome> {
    const { policy, store, now, timers } = this.deps;
    const owner = randomUUID();
    for (;;) {
      const t = now();
      const claim = await store.claimTopUp({
        owner,
        now: t,
        day: dayOf(t),
        amount: usdToMicros(policy.amountUsd),
        startedAt,
        maxCount: policy.maxCount,
        maxPerDay: usdToMicros(policy.maxPerDayUsd),
        minIntervalMs: policy.minIntervalSeconds * 1000,
        lockTtlMs: LOCK_TTL_MS,
      });
      if (claim.status === 'done-by-other') return 'skipped';
      if (claim.status === 'busy') {
        await timers.sleep(BUSY_WAIT_MS);
        continue;
      }
      if (claim.status === 'refused') this.refuse(claim);
      return this.perform(owner, perform);
    }
  }

  private async perform(owner: string, perform: Perform): Promise<TopUpOutcome> {
    const { policy, store, now, events } = this.deps;
    let result: TopUpEvent;
    try {
      result = await perform(policy.amountUsd);
    } catch (error) {
      // ok = true keeps the claim counted: a top-up that may have paid is not given back.
      await store.finishTopUp(owner, !nothingPaid(error), now());
      throw error;
    }
    const micros = usdToMicros(Number.isFinite(result.amountUsd) ? result.amountUsd : policy.amountUsd);
    await store.finishTopUp(owner, true, now(), { micros, tx: result.transaction });
    events.emit('topup', result);
    return 'performed';
  }

  private refuse(claim: Extract<TopUpClaim, { status: 'refused' }>): never {
    const { policy, events } = this.deps;
    const limit = `topUp.${claim.reason}`;
    const event = { reason: limit, estimateUsd: policy.amountUsd, retryAt: claim.retryAt };
    events.emit('refused', event);
    events.emit('exceeded', event);
    throw new PaymentRequiredError(`Auto top-up refused by policy: ${whenNext(claim, policy)}`, {
      details: { limit, ...(claim.retryAt !== undefined && { retryAt: new Date(claim.retryAt).toISOString() }) },
    });
  }
}

/** The refusal in words, with when the next top-up is allowed. */
function whenNext(claim: Extract<TopUpClaim, { status: 'refused' }>, policy: BudgetPolicy['topUp']): string {
  if (claim.reason === 'maxCount') return `all ${policy.maxCount} top-ups of topUp.maxCount are used`;
  if (claim.reason === 'maxPerDay')
    return `today's top-ups would pass topUp.maxPerDayUsd ($${policy.maxPerDayUsd}); the next is allowed after 00:00 UTC`;
  const at = claim.retryAt === undefined ? '' : ` after ${new Date(claim.retryAt).toISOString()}`;
  return `one top-up per ${policy.minIntervalSeconds} s (topUp.minIntervalSeconds); the next is allowed${at}`;
}
