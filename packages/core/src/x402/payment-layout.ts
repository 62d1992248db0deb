import { encodePaymentPayload } from './codec.js';
import { shortNetworkName } from './networks.js';
import type { PaymentPayload } from './schemas.js';

/**
 * `v2`: the x402 v2 PaymentPayload (`accepted` + `payload`), canonical, sent as PAYMENT-SIGNATURE.
 * `hybrid`: the v1 layout stamped x402Version 2 that Venice's official client sends as X-402-Payment.
 * `v1`: the x402 v1 layout for v1 pay-per-call servers, sent as X-PAYMENT.
 */
export type PaymentShape = 'v2' | 'hybrid' | 'v1';

export interface SignedPayment {
  payload: PaymentPayload;
  /** base64 JSON, ready for the header. */
  header: string;
  headerName: 'PAYMENT-SIGNATURE' | 'X-402-Payment' | 'X-PAYMENT';
  /** What was authorized; for `upto`, the maximum the server may settle. */
  amountMicros: bigint;
  /** `upto`: the server settles at most `amountMicros` and reports what it took in PAYMENT-RESPONSE `amount`. */
  scheme: 'exact' | 'upto';
  /**
   * Identifies this payment for dedupe and reconciliation: the EIP-3009 nonce, the Permit2 nonce, or the payer's
   * Solana signature.
   */
  nonce: string;
  payTo: string;
}

export interface SignPaymentOptions {
  shape?: PaymentShape;
  /** Overrides the quoted amount (a top-up pays the chosen amount, not the advertised minimum). */
  amountMicros?: bigint;
  resource?: unknown;
  validForSeconds?: number;
  /** Solana: the JSON-RPC endpoint the mint and a recent blockhash are read from. */
  solanaRpcUrl?: string;
  /** EVM: the JSON-RPC endpoint a Permit2 payment reads the wallet's approval of Permit2 from (none: not read). */
  evmRpcUrl?: string;
  /** The quote's `extensions` (EIP-2612 gas sponsoring of the Permit2 approval). */
  extensions?: Record<string, unknown>;
}

/** The x402 requirements a scheme signs: the accepted quote at the amount chosen, with its `extra`. */
export function schemeRequirements(
  req: { network: string; asset: string; payTo: string; maxTimeoutSeconds: number },
  scheme: 'exact' | 'upto',
  amountMicros: bigint,
  extra: Record<string, unknown>,
) {
  return {
    scheme,
    network: req.network as `${string}:${string}`,
    amount: amountMicros.toString(),
    asset: req.asset,
    payTo: req.payTo,
    maxTimeoutSeconds: req.maxTimeoutSeconds,
    extra,
  };
}

/** The x402 `exact` requirements a scheme signs. */
export function exactRequirements(
  req: { network: string; asset: string; payTo: string; maxTimeoutSeconds: number },
  amountMicros: bigint,
  extra: Record<string, unknown>,
) {
  return schemeRequirements(req, 'exact', amountMicros, extra);
}

/**
 * Wraps a scheme's signed inner payload (EVM authorization, Permit2 witness transfer or Solana transaction) in the chosen layout and encodes
 * it as the header value: x402 v2 (`accepted` echoes the quote) under PAYMENT-SIGNATURE, Venice's client layout
 * (v1 fields stamped x402Version 2) under X-402-Payment, or x402 v1 under X-PAYMENT.
 */
export function layoutPayment(
  shape: PaymentShape,
  requirements: { network: string; scheme?: string },
  inner: unknown,
  resource?: unknown,
  extensions?: Record<string, unknown>,
): { payload: PaymentPayload; header: string; headerName: 'PAYMENT-SIGNATURE' | 'X-402-Payment' | 'X-PAYMENT' } {
  const payload = (
    shape === 'v2'
      ? {
          x402Version: 2,
          ...(resource === undefined ? {} : { resource }),
          accepted: requirements,
          payload: inner,
          ...(extensions === undefined ? {} : { extensions }),
        }
      : {
          x402Version: shape === 'hybrid' ? 2 : 1,
          scheme: requirements.scheme ?? 'exact',
          network: shortNetworkName(requirements.network),
          payload: inner,
        }
  ) as PaymentPayload;
  const headerName = shape === 'v2' ? 'PAYMENT-SIGNATURE' : shape === 'hybrid' ? 'X-402-Payment' : 'X-PAYMENT';
  return { payload, header: encodePaymentPayload(payload), headerName };
}
