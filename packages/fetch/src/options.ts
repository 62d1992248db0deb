import {
  AttestationCache,
  type Budget,
  ConfigError,
  createBudget,
  createEstimator,
  type Estimator,
  type Micros,
  type Wallet,
} from '@venice-x402/core';
import type { FetchLike } from '@venice-x402/core/internal';
import { type Admission, admissionFor } from './admission.js';
import { type Clock, systemClock } from './clock.js';
import type { X402FetchOptions } from './fetch-options.js';
import { validateOptions } from './options-schema.js';
import { QuoteCache } from './payg.js';
import { wireFetch } from './wire-fetch.js';

export type { X402FetchOptions } from './fetch-options.js';

/** Everything one paid fetch needs, resolved and validated once at construction. */
export interface FetchContext {
  baseFetch: FetchLike;
  mode: 'venice' | 'payg' | 'auto';
  /** Venice (or auto) mode: sign in, top up. */
  venice: boolean;
  base: URL | undefined;
  /** Origins pay-per-call may pay. */
  payOrigins: Set<string>;
  budget: Budget;
  wallet: Wallet | undefined;
  apiKey: string | undefined;
  estimator: Estimator;
  scope: string | readonly string[] | undefined;
  maxRetries: number;
  maxRetryDelayMs: number;
  /** The wallet's in-flight count (shared by its fetches), admitted by this fetch's own `maxInFlight`. */
  admission: Admission | undefined;
  maxInFlight: number;
  clock: Clock;
  quotes: QuoteCache | undefined;
  /** Pay-per-call: the last amount each origin quoted per route and model (the next call's hold). */
  lastQuoted: Map<string, Micros>;
  timeoutMs: number;
  streamIdleTimeoutMs: number;
  maxBufferedBodyBytes: number;
  reservationTtlMs: number;
  refusal: 'auto' | 'throw';
  autoMaxTokens: boolean;
  /** Good attestations of private models per (origin, model), for `ATTESTATION_TTL_MS`. */
  attestations: AttestationCache;
}

/** How long a verified attestation of a `tee-*` / `e2ee-*` model is trusted before it is asked for again. */
export const ATTESTATION_TTL_MS = 5 * 60_000;

export function createContext(options: X402FetchOptions): FetchContext {
  validateOptions(options);
  const baseFetch = options.fetch ?? wireFetch;
  const mode = options.mode ?? (options.wallet || options.apiKey ? 'venice' : 'payg');
  const baseURL =
    options.baseURL ??
    (mode === 'payg'
      ? undefined
      : (options.wallet?.baseURL ?? process.env.VENICE_BASE_URL ?? 'https://api.venice.ai/api/v1'));
  let base: URL | undefined;
  try {
    base = baseURL ? new URL(baseURL.replace(/\/+$/, '')) : undefined;
  } catch {
    // the wallet's or VENICE_BASE_URL (an option was checked above)
    throw new ConfigError('The base URL (VENICE_BASE_URL or the wallet’s) is not a valid URL', { option: 'baseURL' });
  }
  const payOrigins = new Set((options.payOrigins ?? []).map((o) => new URL(o).origin));
  if (base && mode !== 'venice') payOrigins.add(base.origin);
  if (mode === 'payg' && payOrigins.size === 0) {
    throw new ConfigError(
      "Pay-per-call pays only origins you name: pass baseURL (the gateway) or payOrigins to createX402Fetch({ mode: 'payg' })",
      { option: 'baseURL' },
    );
  }
  if (options.autoMaxTokens !== undefined && typeof options.autoMaxTokens !== 'boolean')
    throw new ConfigError('autoMaxTokens must be true or false', { option: 'autoMaxTokens' });
  const budget = options.budget ?? createBudget({ signing: { maxPaymentUsd: 1 } });
  // Top-ups follow the budget's signing rules and payee pins, but their size is governed by `topUp`, not maxPaymentUsd.
  const { maxAmountMicros: _payCap, ...topUpSigning } = budget.signingPolicy;
  const wallet = options.wallet?.withPolicy(topUpSigning, budget.payeePins);
  const maxInFlight = options.maxInFlight ?? 5;
  const clock = options.clock ?? systemClock;
  return {
    baseFetch,
    mode,
    venice: mode !== 'payg',
    base,
    payOrigins,
    budget,
    wallet,
    apiKey: options.apiKey,
    estimator:
      options.estimator ??
      createEstimator({
        // Pay-per-call servers have no Venice catalogue: their price is the quote.
        baseURL: mode === 'payg' ? null : base?.href,
        fetch: baseFetch,
        defaultEstimateUsd: budget.policy.defaultEstimateUsd,
      }),
    scope: options.scope,
    maxRetries: options.maxRetries ?? 3,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 10_000,
    admission: wallet && base ? admissionFor(wallet.address, base.origin) : undefined,
    maxInFlight,
    clock,
    quotes: options.quoteCache ? new QuoteCache(clock) : undefined,
    lastQuoted: new Map(),
    timeoutMs: options.timeoutMs ?? 600_000,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? 120_000,
    maxBufferedBodyBytes: options.maxBufferedBodyBytes ?? 8 * 1024 * 1024,
    reservationTtlMs: budget.policy.reservationTtlSeconds * 1000,
    refusal: options.refusal ?? 'auto',
    autoMaxTokens: options.autoMaxTokens ?? true,
    attestations: new AttestationCache(ATTESTATION_TTL_MS, () => clock.now()),
  };
}
