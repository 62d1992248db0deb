import { BASE_NETWORK, BASE_USDC } from '../constants.js';
import { QuoteRejectedError } from '../errors.js';
import { isHexAddress } from '../lazy.js';
import type { Micros } from '../money.js';
import { SOLANA_NETWORK, SOLANA_USDC } from '../solana/constants.js';
import { displayPayee, pinFormOf, type SolanaAcceptedRequirement, solanaRejectionOf } from '../solana/quote.js';
import { evmChainId, networkFamily, normalizeNetwork, type WalletFamily } from './networks.js';
import { type EvmScheme, permit2Rejection, type TransferMethod, transferMethodOf } from './permit2.js';
import type { PaymentRequired, RawPaymentRequirements } from './schemas.js';
import { checkTerms, type SigningPolicy } from './terms.js';

export const defaultSigningPolicy: SigningPolicy = {
  networks: [BASE_NETWORK, SOLANA_NETWORK],
  assets: [BASE_USDC, SOLANA_USDC],
  payees: [],
  maxTimeoutSeconds: 900,
};

/** Persists trust-on-first-use payee pins (the budget store implements it; a Map works for one process). */
export interface PayeePins {
  getPin(key: string): Promise<string | undefined>;
  /** Stores `payee` unless a pin exists; returns the pin in force afterwards. */
  setPinIfAbsent(key: string, payee: string): Promise<string>;
}

export function memoryPayeePins(): PayeePins {
  const pins = new Map<string, string>();
  return {
    async getPin(key) {
      return pins.get(key);
    },
    async setPinIfAbsent(key, payee) {
      if (!pins.has(key)) pins.set(key, payee.toLowerCase());
      return pins.get(key)!;
    },
  };
}

/** An EVM requirement that passed policy: amounts parsed, network normalised. */
export interface EvmAcceptedRequirement {
  family: 'evm';
  /** `exact` pays the amount; `upto` authorizes it as a maximum and the server settles what was used. */
  scheme: EvmScheme;
  /** EIP-3009 (USDC's own authorization) or a Permit2 witness transfer (any ERC-20 approved to Permit2 once). */
  transfer: TransferMethod;
  raw: RawPaymentRequirements;
  network: string;
  chainId: number;
  asset: `0x${string}`;
  payTo: `0x${string}`;
  /** The quoted amount in micro-USD (v2 `amount` or v1 `maxAmountRequired`); for `upto`, the maximum. */
  amountMicros: Micros;
  maxTimeoutSeconds: number;
  /** The token's EIP-712 domain (`name`, `version`): required for EIP-3009, optional over Permit2. */
  extra: { name?: string; version?: string } & Record<string, unknown>;
}

/** A requirement that passed policy, for the wallet's chain family. */
export type AcceptedRequirement = EvmAcceptedRequirement | SolanaAcceptedRequirement;

/** Which schemes a caller signs. Default: `exact` over EIP-3009 only (Venice top-ups). */
export interface SchemeOptions {
  /** Also `upto` and `exact` over Permit2 (x402 v2 pay-per-call gateways). */
  permit2?: boolean;
}

const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function rejectionOf(
  req: RawPaymentRequirements,
  policy: SigningPolicy,
  family: WalletFamily,
  usable: { permit2: boolean },
): QuoteRejectedError | AcceptedRequirement {
  const scheme = req.scheme;
  if (scheme !== 'exact' && !(scheme === 'upto' && usable.permit2 && family === 'evm')) {
    return new QuoteRejectedError('scheme', `Unsupported scheme "${String(scheme).slice(0, 32)}"`);
  }
  if (networkFamily(req.network) !== family) {
    return new QuoteRejectedError('network', `Network ${req.network} is not signable by this ${family} wallet`, {
      network: req.network,
    });
  }
  if (family === 'solana') return solanaRejectionOf(req, policy);
  const network = normalizeNetwork(req.network);
  const chainId = evmChainId(network);
  if (chainId === undefined || !policy.networks.some((n) => normalizeNetwork(n) === network)) {
    return new QuoteRejectedError('network', `Network ${req.network} is not allowed`, { network: req.network });
  }
  if (!isHexAddress(req.asset) || !policy.assets.some((a) => eq(a, req.asset))) {
    return new QuoteRejectedError('asset', `Asset ${req.asset} is not allowed`, { asset: req.asset });
  }
  if (!isHexAddress(req.payTo)) {
    return new QuoteRejectedError('payee', 'payTo is not an EVM address', { payTo: String(req.payTo).slice(0, 64) });
  }
  if (policy.payees.length > 0 && !policy.payees.some((p) => eq(p, req.payTo))) {
    return new QuoteRejectedError('payee', `Payee ${req.payTo} is not on the allow-list`, { payTo: req.payTo });
  }
  const terms = checkTerms(req, policy);
  if (terms instanceof QuoteRejectedError) return terms;
  const { amountMicros, timeout } = terms;
  const transfer = transferMethodOf(req, scheme);
  if (transfer instanceof QuoteRejectedError) return transfer;
  if (transfer === 'permit2' && !usable.permit2) {
    return new QuoteRejectedError('scheme', 'Only EIP-3009 transfers are signed here, not permit2');
  }
  const name = req.extra?.name;
  const version = req.extra?.version;
  if (transfer === 'eip3009' && (typeof name !== 'string' || typeof version !== 'string')) {
    return new QuoteRejectedError('malformed', 'Quote lacks the EIP-712 domain (extra.name / extra.version)');
  }
  if (transfer === 'permit2') {
    const refused = permit2Rejection(req, scheme);
    if (refused) return refused;
  }
  return {
    family: 'evm',
    scheme,
    transfer,
    raw: req,
    network,
    chainId,
    asset: req.asset as `0x${string}`,
    payTo: req.payTo as `0x${string}`,
    amountMicros,
    maxTimeoutSeconds: timeout,
    extra: { ...req.extra },
  };
}

// Among equal amounts: `upto` (it settles at most that, usually less), then EIP-3009 (no approval to have).
const preference = (r: AcceptedRequirement) =>
  r.family === 'solana' ? 1 : r.scheme === 'upto' ? 0 : r.transfer === 'eip3009' ? 1 : 2;

/**
 * Picks the quote option to sign: the cheapest the policy allows on the wallet's chain family (`evm` by default),
 * and among equal amounts an `upto` maximum over an `exact` price (it can never cost more, and usually costs less).
 * `options.permit2` admits `upto` and Permit2 `exact` (v2 quotes only). Throws QuoteRejectedError listing why each
 * option was refused. Pure: no signing, no I/O.
 */
export function selectRequirement(
  quote: PaymentRequired,
  policy: SigningPolicy,
  family: WalletFamily = 'evm',
  options: SchemeOptions = {},
): AcceptedRequirement {
  const usable = { permit2: options.permit2 === true && quote.x402Version >= 2 };
  const refusals: QuoteRejectedError[] = [];
  let best: AcceptedRequirement | undefined;
  for (const option of quote.accepts) {
    const result = rejectionOf(option, policy, family, usable);
    if (result instanceof QuoteRejectedError) refusals.push(result);
    else if (
      !best ||
      result.amountMicros < best.amountMicros ||
      (result.amountMicros === best.amountMicros && preference(result) < preference(best))
    )
      best = result;
  }
  // A server may list a dear option first: always sign the cheapest one the policy accepts.
  if (best) return best;
  if (refusals.length === 1) throw refusals[0]!;
  throw new QuoteRejectedError('no_acceptable_option', 'No payment option in the quote is allowed by the policy', {
    refusals: refusals.map((r) => ({ reason: r.reason, message: r.message })),
  });
}

/** The payee is on the policy's explicit allow-list (EVM: any case; Solana: exact base58). */
export function isAllowedPayee(policy: SigningPolicy, req: AcceptedRequirement): boolean {
  return policy.payees.some((p) => (req.family === 'solana' ? p === req.payTo : eq(p, req.payTo)));
}

/** Refuses `req` when `pin` (as stored) names another payee. */
export function checkPin(pin: string | undefined, req: AcceptedRequirement): void {
  if (pin === undefined || eq(pin, pinFormOf(req))) return;
  const pinned = displayPayee(pin);
  throw new QuoteRejectedError('payee_changed', `Payee changed from the pinned ${pinned} to ${req.payTo}`, {
    pinned,
    payTo: req.payTo,
  });
}

/** Trust-on-first-use: the first payee seen for `key` is pinned; a different one later is refused. */
export async function enforcePayeePin(pins: PayeePins, key: string, req: AcceptedRequirement, policy: SigningPolicy) {
  // An explicit allow-list overrides pinning: the user has said who may be paid.
  if (isAllowedPayee(policy, req)) return;
  checkPin(await pins.setPinIfAbsent(key, pinFormOf(req)), req);
}
