import { decodePaymentResponse, formatUsd, type Micros, type SettleResponse } from '@venice-x402/core';
import { disputePayee } from './disputes.js';
import type { PaidCall, Settlement } from './paid-call.js';
import { authorizationOf } from './upto-expiry.js';

/**
 * Reads `PAYMENT-RESPONSE` of a paid answer (docs/venice-protocol.md §14): its transaction, and for `upto` what the
 * gateway says it settled. The receipt is the gateway's word, not the chain's: only a settlement of the whole maximum
 * settles the call (nothing more can move). A claim below it leaves the maximum counted as ambiguous (`claimedMicros` says what was claimed):
 * x402's own facilitator answers a zero settlement with a receipt and no transaction, which leaves the Permit2
 * signature unused, so the facilitator may still settle up to the maximum until the deadline; and a claimed amount
 * is not what a transaction moved. With an EVM RPC (the wallet's `evmRpcUrl`) the transaction the receipt names is
 * read on chain, and what it moved is committed. A settlement above the maximum disputes the payee. A garbled receipt
 * never undoes a paid answer.
 */
export async function readSettlement(call: PaidCall, response: Response): Promise<void> {
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
  let settled = settlementOf(receipt, garbled, payment.amountMicros);
  if (settled.status === 'unknown' && call.paymentTx) settled = (await onChain(call, call.paymentTx)) ?? settled;
  payment.settled = settled;
  if (settled.status === 'overcharged') {
    disputePayee(
      call.ctx.budget,
      call.request.url.origin,
      `reported settling ${settled.claimed} base units, above the authorized maximum of $${formatUsd(payment.amountMicros)}`,
    );
  }
}

/**
 * The settlement a receipt's transaction shows on chain, through the wallet's EVM RPC (`uptoSettlement`): the
 * amount that moved, whatever the receipt claimed. Undefined without an RPC or when the chain does not show it.
 */
async function onChain(call: PaidCall, transaction: string): Promise<Settlement | undefined> {
  const auth = authorizationOf(call.payment!.value);
  const micros = auth && (await call.ctx.wallet?.uptoSettlement?.(transaction, auth).catch(() => undefined));
  if (micros === undefined || micros === null || micros > call.payment!.amountMicros) return undefined;
  return { status: 'settled', micros };
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
  if (micros === max) return { status: 'settled', micros };
  return {
    status: 'unknown',
    claimedMicros: micros,
    note: `upto payment: the gateway's receipt claims $${formatUsd(micros)} of the $${formatUsd(max)} authorized; the signature allows up to the maximum until its deadline and the chain has not been read, so the maximum is counted until reconciled`,
  };
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
