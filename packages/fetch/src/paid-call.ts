import { type ChargeDetails, type CommitOutcome, type Micros, microsToUsd, type Reservation } from '@venice-x402/core';
import type { AcceptedRequirement } from '@venice-x402/core/internal';
import type { Classified } from './classify.js';
import type { FetchContext } from './options.js';
import { type CallOutcome, pruneOutcome, type TeeFacts } from './outcome.js';
import type { RequestParts } from './request.js';
import { authorizationOf, creditIfNeverSettled } from './upto-expiry.js';

/** What a paid answer's receipt says was settled (`settled-amount.ts` reads it). */
export type Settlement =
  | { status: 'settled'; micros: Micros }
  /** More than was authorized: impossible on chain, so the answer lies; the maximum is what can have moved. */
  | { status: 'overcharged'; micros: Micros; claimed: string }
  /**
   * No usable receipt, or one claiming less than the maximum (`claimedMicros`): the maximum stays counted as
   * ambiguous until reconciled.
   */
  | { status: 'unknown'; note: string; claimedMicros?: Micros };

/** A signed x402 payment attached to a request: money from the moment it is sent. */
export interface Payment {
  name: string;
  value: string;
  amountMicros: Micros;
  /** Signed from a remembered quote, before the server asked. */
  fromCache: boolean;
  /** `upto`: `amountMicros` is the maximum; the server settles what was used (`settled`, from PAYMENT-RESPONSE). */
  scheme?: 'exact' | 'upto';
  settled?: Settlement;
  /** The quote option signed (pay-per-call). */
  requirement?: AcceptedRequirement;
}

/** What the settlement of a committed call adds to its outcome. */
export interface CommitFacts extends ChargeDetails {
  /** The balance the server reported, already net of this call. */
  balanceMicros?: Micros;
}

/**
 * One paid call, and the one owner of everything it holds: the budget hold (taken by `hold`, renewed while the call
 * runs, settled exactly once), the wallet's in-flight slot and the timeout of the current attempt. Every way out —
 * `commit`, `release`, `fail` — goes through one idempotent `#finish`, which frees all of it and resolves `settled`.
 */
export class PaidCall {
  reservation: Reservation | undefined;
  payment: Payment | undefined;
  /** A payment header went out on the wire (not just signed). */
  paymentSent = false;
  paymentTx: string | undefined;
  /** The transaction of an auto top-up this call made (reported as its payment; the ledger keeps it as a top-up). */
  topUpTx: string | undefined;
  toppedUp = false;
  resignedForAuth = false;
  redirects = 0;
  /** A `tee-*` / `e2ee-*` model: what was attested, for the outcome (`private-model.ts`). */
  teeFacts: (() => TeeFacts) | undefined;
  /** Attempts re-sent after a 429 / 5xx answer or no answer at all. */
  retries = 0;
  readonly startedAt: number;
  /** What the call came to; resolves once, whichever way it ends, and never rejects. */
  readonly settled: Promise<CallOutcome>;
  #resolveOutcome!: (outcome: CallOutcome) => void;
  #finished = false;
  #renewTimer: unknown;
  #attempt: { releaseSlot: () => void; timer: unknown } | undefined;
  /** A request Venice bills on receipt left the process, and no answer has shown it was not billed. */
  #billingUnknown = false;

  constructor(
    readonly ctx: FetchContext,
    readonly request: RequestParts,
    readonly info: Classified,
  ) {
    this.startedAt = ctx.clock.now();
    this.settled = new Promise((resolve) => {
      this.#resolveOutcome = resolve;
    });
  }

  #resolve(outcome: CallOutcome) {
    this.#resolveOutcome(this.teeFacts ? { ...outcome, tee: this.teeFacts() } : outcome);
  }

  get model() {
    return this.info.model;
  }

  /** Venice bills a signed call on a paid route from the account (balance or key) once it receives it. */
  get billedOnReceipt() {
    return this.ctx.venice && this.info.paid && this.info.signed;
  }

  /** Reserves `micros` for this call (swapping a smaller hold for it) and keeps it alive while the call runs. */
  async hold(micros: Micros, model = this.info.model) {
    const { budget, scope } = this.ctx;
    const next = await budget.reserve({ estimateMicros: micros, scope, model, route: this.info.route });
    const previous = this.reservation;
    this.reservation = next;
    if (previous) await budget.release(previous).catch(() => {});
    if (this.#renewTimer === undefined) this.#keepAlive();
  }

  /** Renews the hold a few times per TTL, so a long call or slow stream keeps it; the TTL is for dead processes. */
  #keepAlive() {
    const every = Math.max(100, Math.floor(this.ctx.reservationTtlMs / 3));
    const renew = () => {
      if (this.#finished) return;
      if (this.reservation) this.ctx.budget.renew(this.reservation).catch(() => {});
      this.#renewTimer = this.ctx.clock.setTimeout(renew, every, { unref: true });
    };
    this.#renewTimer = this.ctx.clock.setTimeout(renew, every, { unref: true });
  }

  /** `sendOnce`: the wallet's slot and the timeout of this attempt belong to the call from here on. */
  beginAttempt(releaseSlot: () => void, timer: unknown) {
    this.endAttempt();
    this.#attempt = { releaseSlot, timer };
    if (this.payment) this.paymentSent = true;
    if (this.billedOnReceipt) this.#billingUnknown = true;
  }

  /** The answer no longer needs the call's timeout (a stream has its own idle timer). */
  stopTimeout() {
    if (this.#attempt?.timer !== undefined) this.ctx.clock.clearTimeout(this.#attempt.timer);
    if (this.#attempt) this.#attempt.timer = undefined;
  }

  /** Frees the current attempt's in-flight slot and timeout (idempotent). */
  endAttempt() {
    const attempt = this.#attempt;
    this.#attempt = undefined;
    if (!attempt) return;
    if (attempt.timer !== undefined) this.ctx.clock.clearTimeout(attempt.timer);
    attempt.releaseSlot();
  }

  /** The server answered with something it does not bill (an error, a redirect, 401, 402), or never answered. */
  notBilled() {
    this.#billingUnknown = false;
  }

  /** Ends everything the call holds; the reservation to settle, or undefined when already settled (or none). */
  #finish(): Reservation | undefined {
    this.endAttempt();
    if (this.#renewTimer !== undefined) this.ctx.clock.clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
    if (this.#finished) return undefined;
    this.#finished = true;
    if (!this.reservation) this.#resolve({ status: 'free', costUsd: 0 });
    return this.reservation;
  }

  async commit(micros: Micros, facts: CommitFacts): Promise<CommitOutcome | undefined> {
    const held = this.#finish();
    if (!held) return undefined;
    const { balanceMicros, ...details } = facts;
    let outcome: CommitOutcome | undefined;
    try {
      outcome = await this.ctx.budget.commit(held, micros, {
        paymentTx: this.paymentTx,
        balanceRemainingMicros: balanceMicros,
        ...details,
      });
      return outcome;
    } finally {
      this.#resolve(
        pruneOutcome({
          status: outcome?.ambiguous ? 'ambiguous' : 'charged',
          costUsd: microsToUsd(outcome?.ambiguous ? held.amountMicros : micros),
          balanceRemainingUsd: balanceMicros === undefined ? undefined : microsToUsd(balanceMicros),
          budgetRemainingUsd: outcome?.remainingUsd,
          paymentTx: this.paymentTx ?? this.topUpTx,
          requestId: details.requestId,
        }),
      );
    }
  }

  /**
   * The payment sent under the current hold may have been collected: keep that hold counted (ambiguous)
   * and start afresh, so a new payment gets a hold of its own.
   */
  async setAsideSentPayment(note: string) {
    const held = this.reservation;
    this.reservation = undefined;
    const payment = this.payment;
    this.paymentSent = false;
    this.payment = undefined;
    if (held)
      await this.ctx.budget
        .markAmbiguous(held, { model: this.model, note, outstandingMicros: payment?.amountMicros })
        .catch(() => {});
  }

  /**
   * Nothing was charged: free the hold. Unless money may have moved: a payment went out, or Venice received a
   * request it bills and no complete answer came back (aborted, timed out, cut) — that stays counted, ambiguous,
   * until reconciled.
   */
  async release(note?: string, requestId?: string) {
    const held = this.#finish();
    if (!held) return;
    if (!this.paymentSent && !this.#billingUnknown) {
      await this.ctx.budget.release(held).catch(() => {});
      this.#resolve({ status: 'free', costUsd: 0 });
      return;
    }
    const outstanding = this.paymentSent ? this.payment?.amountMicros : undefined;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, `undefined < n` is false and `<=` picks the same amount
    const counted = outstanding !== undefined && outstanding < held.amountMicros ? outstanding : held.amountMicros;
    const upto = this.paymentSent && this.payment?.scheme === 'upto' ? this.payment : undefined;
    // An upto payment is known in the ledger by its Permit2 nonce when the answer named no request.
    const ledgerId = requestId ?? (upto && authorizationOf(upto.value)?.nonce.toString());
    await this.ctx.budget
      .markAmbiguous(held, {
        model: this.model,
        requestId: ledgerId,
        paymentTx: this.paymentTx,
        outstandingMicros: outstanding,
        note:
          note ??
          (this.paymentSent
            ? 'payment sent, no paid answer: counted until reconciled'
            : 'sent to Venice, no complete answer (aborted, timed out or cut): counted until reconciled'),
      })
      .catch(() => {});
    if (upto && ledgerId) {
      const { clock, wallet, budget } = this.ctx;
      creditIfNeverSettled({ clock, wallet, budget, header: upto.value, held, requestId: ledgerId, micros: counted });
    }
    const settled = this.paymentSent ? this.payment?.settled : undefined;
    const claimed = settled?.status === 'unknown' ? settled.claimedMicros : undefined;
    this.#resolve(
      pruneOutcome({
        status: 'ambiguous',
        costUsd: microsToUsd(counted),
        claimedUsd: claimed === undefined ? undefined : microsToUsd(claimed),
        paymentTx: this.paymentTx,
        requestId,
      }),
    );
  }

  /** Settles the hold (see `release`) and throws. */
  async fail(error: unknown): Promise<never> {
    await this.release();
    throw error;
  }
}
