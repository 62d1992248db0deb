import type { ChargeDetails, CommitOutcome, Micros, Reservation } from '@venice-x402/core';
import type { Classified } from './classify.js';
import type { FetchContext } from './options.js';
import type { RequestParts } from './request.js';

/** A signed x402 payment attached to a request: money from the moment it is sent. */
export interface Payment {
  name: string;
  value: string;
  amountMicros: Micros;
  /** Signed from a remembered quote, before the server asked. */
  fromCache: boolean;
}

/**
 * The state of one paid call, and the only place its budget hold changes: taken (`hold`), kept alive while
 * the call runs (`keepAlive`), then settled exactly once — committed at the actual cost, released when
 * nothing was spent, or kept counted as ambiguous once a payment left the process (a signed thing is
 * money until proven otherwise).
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
  readonly startedAt = Date.now();
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private settled = false;

  constructor(
    readonly ctx: FetchContext,
    readonly request: RequestParts,
    readonly info: Classified,
  ) {}

  get model() {
    return this.info.model;
  }

  /** Reserves `micros` for this call (swapping a smaller hold for it) and keeps it alive while the call runs. */
  async hold(micros: Micros, model = this.info.model) {
    const { budget, scope } = this.ctx;
    const next = await budget.reserve({ estimateMicros: micros, scope, model, route: this.info.route });
    const previous = this.reservation;
    this.reservation = next;
    if (previous) await budget.release(previous).catch(() => {});
    this.keepAlive();
  }

  /** Renews the hold a few times per TTL, so a long call or slow stream keeps it; the TTL is for dead processes. */
  private keepAlive() {
    if (this.renewTimer) return;
    const every = Math.max(100, Math.floor(this.ctx.reservationTtlMs / 3));
    this.renewTimer = setInterval(() => {
      if (this.reservation) this.ctx.budget.renew(this.reservation).catch(() => {});
    }, every);
    this.renewTimer.unref?.();
  }

  private finish(): Reservation | undefined {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    if (this.settled) return undefined;
    this.settled = true;
    return this.reservation;
  }

  async commit(micros: Micros, details: ChargeDetails): Promise<CommitOutcome | undefined> {
    const held = this.finish();
    if (!held) return undefined;
    return this.ctx.budget.commit(held, micros, { paymentTx: this.paymentTx, ...details });
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

  /** Nothing was charged: free the hold — unless a payment went out, which stays counted until reconciled. */
  async release(note?: string) {
    const held = this.finish();
    if (!held) return;
    if (this.paymentSent) {
      await this.ctx.budget
        .markAmbiguous(held, {
          model: this.model,
          paymentTx: this.paymentTx,
          outstandingMicros: this.payment?.amountMicros,
          note: note ?? 'payment sent, no paid answer: counted until reconciled',
        })
        .catch(() => {});
    } else await this.ctx.budget.release(held).catch(() => {});
  }

  /** Settles the hold (see `release`) and throws. */
  async fail(error: unknown): Promise<never> {
    await this.release();
    throw error;
  }
}
