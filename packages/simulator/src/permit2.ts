import { deepEqual } from '@x402/core/utils';
import {
  PERMIT2_ADDRESS,
  permit2WitnessTypes,
  uptoPermit2WitnessTypes,
  x402ExactPermit2ProxyAddress,
  x402UptoPermit2ProxyAddress,
} from '@x402/evm';
import { type Address, getAddress, isAddress } from 'viem';
import type { PaymentProblem, Permit2Payment } from './payments.js';

export type { Permit2Payment } from './payments.js';

import type { SignatureVerifier } from './signatures.js';

/** A decoded Permit2 payment: `upto` (settled up to `amount`) or `exact` over Permit2 (settled at `amount`). */

const problem = (status: number, code: string, message: string): PaymentProblem => ({ status, code, message });
const CLOCK_SKEW_SECONDS = 30;

/** Decodes an x402 v2 payload carrying a Permit2 authorization; undefined for any other payload. */
export function decodePermit2Payment(header: string): Permit2Payment | PaymentProblem | undefined {
  let body: any;
  try {
    body = JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const auth = body?.payload?.permit2Authorization;
  if (!auth || typeof auth !== 'object') return undefined;
  if (body.x402Version !== 2 || !body.accepted || typeof body.accepted !== 'object')
    return problem(400, 'INVALID_PAYMENT_FORMAT', 'A Permit2 payment is an x402 v2 payload with `accepted`');
  const scheme = body.accepted.scheme;
  if (scheme !== 'exact' && scheme !== 'upto') return problem(400, 'UNSUPPORTED_SCHEME', 'Unknown Permit2 scheme');
  try {
    const addr = (v: unknown) => {
      if (typeof v !== 'string' || !isAddress(v, { strict: false })) throw new Error('address');
      return getAddress(v);
    };
    if (typeof body.payload.signature !== 'string' || !/^0x[0-9a-fA-F]+$/.test(body.payload.signature))
      throw new Error('signature');
    const w = auth.witness ?? {};
    return {
      scheme,
      accepted: body.accepted,
      payload: body,
      signature: body.payload.signature,
      from: addr(auth.from),
      token: addr(auth.permitted?.token),
      amount: BigInt(auth.permitted?.amount),
      spender: addr(auth.spender),
      nonce: BigInt(auth.nonce),
      deadline: BigInt(auth.deadline),
      witness: {
        to: addr(w.to),
        ...(scheme === 'upto' ? { facilitator: addr(w.facilitator) } : {}),
        validAfter: BigInt(w.validAfter),
      },
    };
  } catch {
    return problem(400, 'INVALID_PAYMENT_FORMAT', 'Permit2 authorization fields are malformed');
  }
}

export interface Permit2Expectation {
  advertised: readonly Record<string, any>[];
  payTo: Address;
  asset: Address;
  facilitator: Address;
  nowSeconds: number;
  signatures: SignatureVerifier;
}

/**
 * What an x402 facilitator checks of a Permit2 payment (`@x402/evm`'s rules): `accepted` is an advertised option;
 * the spender is the canonical x402 proxy of the scheme; the witness pays `payTo` and (upto) names our facilitator;
 * the token and amount are the quote's; the deadline is ahead and within `maxTimeoutSeconds`; and the EIP-712
 * signature over Permit2's domain recovers the payer.
 */
export async function verifyPermit2(p: Permit2Payment, expect: Permit2Expectation) {
  const entry = expect.advertised.find((a) => deepEqual(a, p.accepted));
  if (entry?.extra?.assetTransferMethod !== 'permit2')
    return problem(400, 'INVALID_PAYMENT', 'accepted matches none of the advertised Permit2 options');
  const spender = p.scheme === 'upto' ? x402UptoPermit2ProxyAddress : x402ExactPermit2ProxyAddress;
  if (p.spender !== getAddress(spender))
    return problem(400, 'invalid_permit2_spender', 'Spender is not the x402 proxy');
  if (p.witness.to !== getAddress(expect.payTo))
    return problem(400, 'invalid_permit2_recipient_mismatch', 'Witness does not pay the receiver');
  if (p.scheme === 'upto' && p.witness.facilitator !== getAddress(expect.facilitator))
    return problem(400, 'invalid_upto_evm_payload_facilitator_mismatch', 'Witness names another facilitator');
  if (p.token !== getAddress(expect.asset)) return problem(400, 'permit2_token_mismatch', 'Only USDC is accepted');
  if (p.amount !== BigInt(entry.amount))
    return problem(400, 'permit2_amount_mismatch', 'Amount differs from the quote');
  const now = BigInt(expect.nowSeconds);
  if (p.deadline <= now || p.witness.validAfter > now)
    return problem(400, 'permit2_deadline_expired', 'Permit2 authorization is outside its validity window');
  if (p.deadline > now + BigInt(entry.maxTimeoutSeconds + CLOCK_SKEW_SECONDS))
    return problem(400, 'INVALID_PAYMENT', `deadline is more than ${entry.maxTimeoutSeconds} s ahead`);
  const valid = await expect.signatures.typedData({
    address: p.from,
    domain: { name: 'Permit2', chainId: 8453, verifyingContract: PERMIT2_ADDRESS },
    types: p.scheme === 'upto' ? uptoPermit2WitnessTypes : permit2WitnessTypes,
    primaryType: 'PermitWitnessTransferFrom',
    message: {
      permitted: { token: p.token, amount: p.amount },
      spender: p.spender,
      nonce: p.nonce,
      deadline: p.deadline,
      witness: p.witness,
    },
    signature: p.signature,
  });
  if (!valid) return problem(400, 'invalid_permit2_signature', 'Permit2 signature does not match the payer');
  return undefined;
}

/** The Permit2 options of a pay-per-call quote (`upto` carries the facilitator the witness must name). */
export function permit2Option(
  scheme: 'exact' | 'upto',
  base: { network: string; amount: string; asset: string; payTo: string; maxTimeoutSeconds: number },
  facilitator: Address,
) {
  return {
    scheme,
    ...base,
    extra: {
      name: 'USD Coin',
      version: '2',
      assetTransferMethod: 'permit2',
      ...(scheme === 'upto' ? { facilitatorAddress: facilitator } : {}),
    } as Record<string, string>,
  };
}
