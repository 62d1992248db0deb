import {
  AttestationCache,
  type Budget,
  ConfigError,
  createBudget,
  createEstimator,
  type Estimator,
  type FetchLike,
  type Micros,
  type Wallet,
} from '@venice-x402/core';
import { type Admission, admissionFor } from './admission.js';
import { type Clock, systemClock } from './clock.js';
import { validateOptions } from './options-schema.js';
import { QuoteCache } from './payg.js';
import { wireFetch } from './wire-fetch.js';

export interface X402FetchOptions {
  /** Pays with a wallet: Sign-In-With-X for Venice, EIP-3009 for pay-per-call servers. */
  wallet?: Wallet;
  /** Venice API key (Bearer) instead of a wallet. Still goes through the budget. */
  apiKey?: string;
  /** The spending policy. Default: an unlimited in-memory budget (spend is still tracked). */
  budget?: Budget;
  /** API base. Only requests under it are signed or paid. Default: the wallet's base URL (Venice). */
  baseURL?: string;
  /** `venice` (SIWX + prepaid balance), `payg` (x402 per call) or `auto` (decide per 402). Default `venice`, or `payg` without a Venice base. */
  mode?: 'venice' | 'payg' | 'auto';
  /**
   * Pay-per-call: further origins (`https://gateway.example`) that may be paid besides `baseURL`. Nothing
   * else is ever paid: a 402 from any other origin is returned to the caller untouched.
   */
  payOrigins?: readonly string[];
  /**
   * The transport. Default: Node's HTTP client (undici's global dispatcher, which Node's fetch uses too, so
   * `setGlobalDispatcher` proxies and mocks apply; never following a redirect), falling back to `globalThis.fetch`
   * on other runtimes or when `globalThis.fetch` is not Node's own (msw, nock: installed before or after this
   * import). Pass `globalThis.fetch` (or any fetch) to send through fetch; it must honour `redirect: 'manual'`.
   */
  fetch?: FetchLike;
  /** Budget scope chain for every call through this fetch, e.g. `team:research/agent:planner`. */
  scope?: string | readonly string[];
  estimator?: Estimator;
  /** Venice's per-wallet in-flight limit. Default 5. */
  maxInFlight?: number;
  /** Retries for 429 / 5xx / resets. Default 3 (0 when the caller's SDK retries itself, see README). */
  maxRetries?: number;
  /** Longest Retry-After honoured. Default 10 s. */
  maxRetryDelayMs?: number;
  /** Pay-per-call: reuse the last quote per (origin, route, model) to pay in one round trip. Default false. */
  quoteCache?: boolean;
  /** Longest a call may wait for its answer (headers, and the whole body of a JSON answer). Default 10 min. */
  timeoutMs?: number;
  /** A stream that sends nothing for this long is cut, billed for what it sent, and its slot freed. Default 2 min. */
  streamIdleTimeoutMs?: number;
  /**
   * How a budget refusal reaches the caller. `throw`: always the typed `BudgetExceededError`.
   * `auto`: when a Stainless SDK (OpenAI, Anthropic) is calling, a non-retryable HTTP 402 naming the limit,
   * which the SDK reports as an API error instead of retrying a "connection error". Default `auto`.
   */
  refusal?: 'auto' | 'throw';
  /** JSON answers up to this size are read whole (cost headers added); larger ones stream through. Default 8 MiB. */
  maxBufferedBodyBytes?: number;
  /**
   * A Venice chat call that sets no `max_tokens` is held at the model's whole completion cap. When that does not
   * fit the budget, set the largest cap that does (reported in `x-venice-x402-max-tokens`) instead of refusing.
   * Default true; `false` refuses such calls, naming `max_tokens`.
   */
  autoMaxTokens?: boolean;
  /** The time of the paid path (timeouts, renewals, idle cuts, retry waits). Default: the system clock. For tests. */
  clock?: Clock;
}

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
