import { decodePaymentResponse, formatUsd, type Micros, type SettleResponse } from '@venice-x402/core';
import { disputePayee } from './disputes.js';
import type { PaidCall, Settlement } from './paid-call.js';

/** What the server says an `upto` payment settled. */
/**
 * Reads `PAYMENT-RESPONSE` of a paid answer: its transaction, and for `upto` what was settled (a base-unit integer
 * no larger than the authorized maximum). A settlement above the maximum disputes the payee: it is paid no more
 * until a person clears it. A garbled receipt never undoes a paid answer.
 */
export function readSettlement(call: PaidCall, response: Response): void {
  const payment = call.payment;
  if (!payment) return;
  let receipt: SettleResponse | undefined;
  let garbled = false;
  try {
    receipt = decodePaymentResponse(response.headers.get('PAYMENT-RESPONSE'));
  } catch {
    garbled = true;
  }
  call.paymentTx = typeof receipt?.transaction === 'string' && receipt.transaction ? receipt.transaction : undefined;
  if (payment.scheme !== 'upto') return;
  const settled = settlementOf(receipt, garbled, payment.amountMicros);
  payment.settled = settled;
  if (settled.status === 'overcharged') {
    disputePayee(
      call.ctx.budget,
      call.request.url.origin,
      `reported settling ${settled.claimed} base units, above the authorized maximum of $${formatUsd(payment.amountMicros)}`,
    );
  }
}

function settlementOf(receipt: SettleResponse | undefined, garbled: boolean, max: Micros): Settlement {
  const unknown = (why: string): Settlement => ({
    status: 'unknown',
    note: `upto payment: ${why}; the authorized maximum is counted until reconciled`,
  });
  if (garbled) return unknown('PAYMENT-RESPONSE is not a valid receipt');
  if (!receipt) return unknown('no PAYMENT-RESPONSE came back');
  if (receipt.success !== true) return unknown('PAYMENT-RESPONSE reports no successful settlement');
  const amount = receipt.amount;
  if (typeof amount !== 'string' || !/^\d{1,30}$/.test(amount))
    return unknown('PAYMENT-RESPONSE carries no settled amount');
  const micros = BigInt(amount);
  if (micros > max) return { status: 'overcharged', micros: max, claimed: amount };
  return { status: 'settled', micros };
}

/**
 * What a paid-per-call answer costs: an `exact` payment's amount, an `upto` payment's settlement (the maximum when it
 * overcharged). Undefined for a Venice call, and for an `upto` payment whose settlement is unknown (`unsettledNote`).
 */
export function paidMicros(call: PaidCall): Micros | undefined {
  const payment = call.payment;
  if (!payment) return undefined;
  if (payment.scheme !== 'upto') return payment.amountMicros;
  return payment.settled?.status === 'settled' || payment.settled?.status === 'overcharged'
    ? payment.settled.micros
    : undefined;
}

/** Why an `upto` payment's cost is unknown (it is then left counted at the maximum), else undefined. */
export function unsettledNote(call: PaidCall): string | undefined {
  const payment = call.payment;
  if (payment?.scheme !== 'upto') return undefined;
  const settled = payment.settled;
  if (!settled) return 'upto payment: no settlement read; the authorized maximum is counted until reconciled';
  return settled.status === 'unknown' ? settled.note : undefined;
}
