import { readPaymentRequired } from '@venice-x402/core';
import { permit2ApprovalError } from '@venice-x402/core/internal';
import type { PaidCall } from './paid-call.js';

const ALLOWANCE_REQUIRED = 'permit2_allowance_required';

/**
 * A 402 answering our Permit2 payment because the wallet has not approved Permit2 (the facilitator's
 * `permit2_allowance_required`): the wallet's doing, not the payee's. Returns the typed error that says how to
 * approve, or undefined for any other refusal.
 */
export async function approvalRefusal(call: PaidCall, response: Response, body: unknown) {
  const requirement = call.payment?.requirement;
  if (requirement?.family !== 'evm' || requirement.transfer !== 'permit2') return undefined;
  let reason: unknown;
  try {
    reason = readPaymentRequired(response.headers.get('PAYMENT-REQUIRED'), undefined)?.error;
  } catch {}
  const b = (body ?? {}) as Record<string, unknown>;
  const named = [reason, b.error, b.errorReason, b.invalidReason].some(
    (v) => typeof v === 'string' && v.slice(0, 200).includes(ALLOWANCE_REQUIRED),
  );
  return named ? permit2ApprovalError(call.ctx.wallet!.address, requirement) : undefined;
}
