import {
  type PaymentRequired,
  ProtocolError,
  readPaymentRequired,
  type SignedPayment,
  type SigningPolicy,
  type Wallet,
} from '@venice-x402/core';
import { type AcceptedRequirement, selectRequirement } from '@venice-x402/core/internal';
import type { Clock } from './clock.js';

/** A Venice balance 402 (case B) or credentials 402 (case A) rather than a pay-per-call quote. */
export function isVeniceChallenge(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as Record<string, unknown>;
  return b.code === 'PAYMENT_REQUIRED' || 'authOptions' in b || 'siwxChallenge' in b || 'topUpInstructions' in b;
}

/** Reads the quote of a pay-per-call 402 (v2 header or v1 body). Throws ProtocolError when malformed or absent. */
export function readQuote(response: Response, body: unknown): PaymentRequired {
  const quote = readPaymentRequired(response.headers.get('PAYMENT-REQUIRED'), body);
  if (!quote || quote.accepts.length === 0) throw new ProtocolError('402 carries no x402 payment requirements');
  return quote;
}

/**
 * Validates the quote against the signing policy, for the wallet's chain (Base or Solana): `exact` over EIP-3009,
 * Permit2 or Solana, and `upto` (preferred at an equal amount). Throws QuoteRejectedError; nothing is signed here.
 */
export function chooseRequirement(
  quote: PaymentRequired,
  policy: SigningPolicy,
  family: 'evm' | 'solana' = 'evm',
): AcceptedRequirement {
  return selectRequirement(quote, policy, family, { permit2: true });
}

/**
 * A pay-per-call authorization is valid for at most 5 minutes: long enough for a server that settles after
 * answering a long generation, short enough that an unsettled one is soon provably dead.
 */
export const PAY_PER_CALL_VALIDITY_SECONDS = 300;

/** Signs an accepted requirement in the layout the quote's protocol version expects. */
export function signFor(
  wallet: Wallet,
  quote: PaymentRequired,
  requirement: AcceptedRequirement,
): Promise<SignedPayment> {
  return wallet.signPayment(requirement, {
    shape: quote.x402Version >= 2 ? 'v2' : 'v1',
    resource: quote.resource,
    validForSeconds: PAY_PER_CALL_VALIDITY_SECONDS,
    extensions: quote.extensions,
  });
}

/** Remembers the last accepted quote per (origin, route, model) so the next call can pay up front. */
export class QuoteCache {
  private readonly entries = new Map<string, { quote: PaymentRequired; at: number }>();
  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 60_000,
  ) {}
  /** Structured, not joined: a model name (chosen by a gateway or caller) is data and cannot forge another key. */
  key(url: URL, model: string | undefined) {
    return JSON.stringify([url.origin, url.pathname, model ?? null]);
  }
  get(key: string): PaymentRequired | undefined {
    const e = this.entries.get(key);
    if (!e || this.clock.now() - e.at > this.ttlMs) return undefined;
    return e.quote;
  }
  set(key: string, quote: PaymentRequired) {
    this.entries.set(key, { quote, at: this.clock.now() });
  }
  delete(key: string) {
    this.entries.delete(key);
  }
}
