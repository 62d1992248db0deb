import type { Budget, Estimator, Wallet } from '@venice-x402/core';
import type { FetchLike } from '@venice-x402/core/internal';
import type { Clock } from './clock.js';

/** What `createX402Fetch` accepts (validated at construction by `options-schema.ts`). */
export interface X402FetchOptions {
  /** Pays with a wallet: Sign-In-With-X for Venice, EIP-3009 for pay-per-call servers. */
  wallet?: Wallet;
  /** Venice API key (Bearer) instead of a wallet. Still goes through the budget. */
  apiKey?: string;
  /**
   * The spending policy. Default: an in-memory budget with no spending limit (spend is still tracked; one x402
   * payment is still capped at the policy default of $1).
   */
  budget?: Budget;
  /** API base. Only requests under it are signed or paid. Default: the wallet's base URL (Venice). */
  baseURL?: string;
  /**
   * `venice` (SIWX + prepaid balance), `payg` (x402 per call) or `auto` (decide per 402). Default `venice` when a
   * wallet or API key is given, else `payg`.
   */
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
