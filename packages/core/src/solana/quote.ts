import { QuoteRejectedError } from '../errors.js';
import type { Micros } from '../money.js';
import { normalizeNetwork } from '../x402/networks.js';
import type { RawPaymentRequirements } from '../x402/schemas.js';
import { checkTerms, type SigningPolicy } from '../x402/terms.js';
import { base58Decode, base58Encode, isSolanaAddress } from './base58.js';

/** A Solana `exact` requirement that passed policy. Addresses are base58 and compared exactly (case matters). */
export interface SolanaAcceptedRequirement {
  family: 'solana';
  raw: RawPaymentRequirements;
  /** CAIP-2 (`solana:5eykt…`). */
  network: string;
  /** The SPL mint. */
  asset: string;
  payTo: string;
  /** The facilitator's account that pays the transaction fee and co-signs (`extra.feePayer`). */
  feePayer: string;
  amountMicros: Micros;
  maxTimeoutSeconds: number;
  extra: Record<string, unknown>;
}

const MAX_MEMO_BYTES = 256;

/** The Solana half of quote validation: network, mint, payee, amount cap, validity window, fee payer. */
export function solanaRejectionOf(
  req: RawPaymentRequirements,
  policy: SigningPolicy,
): QuoteRejectedError | SolanaAcceptedRequirement {
  const network = normalizeNetwork(req.network);
  if (!policy.networks.some((n) => normalizeNetwork(n) === network)) {
    return new QuoteRejectedError('network', `Network ${req.network} is not allowed`, { network: req.network });
  }
  if (!isSolanaAddress(req.asset) || !policy.assets.includes(req.asset)) {
    return new QuoteRejectedError('asset', `Asset ${String(req.asset).slice(0, 64)} is not allowed`, {
      asset: String(req.asset).slice(0, 64),
    });
  }
  if (!isSolanaAddress(req.payTo)) {
    return new QuoteRejectedError('payee', 'payTo is not a Solana address', { payTo: String(req.payTo).slice(0, 64) });
  }
  if (policy.payees.length > 0 && !policy.payees.includes(req.payTo)) {
    return new QuoteRejectedError('payee', `Payee ${req.payTo} is not on the allow-list`, { payTo: req.payTo });
  }
  const terms = checkTerms(req, policy);
  if (terms instanceof QuoteRejectedError) return terms;
  const { amountMicros, timeout } = terms;
  const extra = req.extra ?? {};
  const feePayer = extra.feePayer;
  if (!isSolanaAddress(feePayer)) {
    return new QuoteRejectedError('malformed', 'Solana quote lacks a valid fee payer (extra.feePayer)');
  }
  const memo = extra.memo;
  if (memo !== undefined && (typeof memo !== 'string' || Buffer.byteLength(memo) > MAX_MEMO_BYTES)) {
    return new QuoteRejectedError('malformed', `extra.memo must be a string of at most ${MAX_MEMO_BYTES} bytes`);
  }
  return {
    family: 'solana',
    raw: req,
    network,
    asset: req.asset,
    payTo: req.payTo,
    feePayer,
    amountMicros,
    maxTimeoutSeconds: timeout,
    extra,
  };
}

/**
 * How a payee is kept in a pin store. Stores compare and keep pins lowercased (EVM addresses are
 * case-insensitive); base58 is not, so a Solana payee is pinned as the hex of its 32 bytes.
 */
export function pinFormOf(req: { family: 'evm' | 'solana'; payTo: string }): string {
  if (req.family !== 'solana') return req.payTo;
  return `svm:${Buffer.from(base58Decode(req.payTo)!).toString('hex')}`;
}

/** A stored pin as the address it names. */
export function displayPayee(pin: string): string {
  if (!/^svm:[0-9a-f]{64}$/i.test(pin)) return pin;
  return base58Encode(Buffer.from(pin.slice(4), 'hex'));
}
