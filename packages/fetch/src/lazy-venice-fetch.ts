import {
  type Budget,
  ConfigError,
  createBudget,
  createWallet,
  DEFAULT_BASE_URL,
  type SignInOptions,
  type Wallet,
} from '@venice-x402/core';
import type { FetchLike } from '@venice-x402/core/internal';
import { createX402Fetch } from './create-x402-fetch.js';

/** How adapters take credentials: one of a private key, a wallet or an API key (or the environment). */
export interface VeniceCredentials {
  /** 0x private key of the paying wallet. Default: `VENICE_WALLET_KEY`. */
  privateKey?: string;
  /** A wallet from `createWallet()` (any signer: viem account, browser wallet, KMS). */
  wallet?: Wallet;
  /** Venice API key instead of a wallet. Default: `VENICE_API_KEY` when no wallet key is set. */
  apiKey?: string;
  /** The spending policy. Default: an unlimited, tracked budget. */
  budget?: Budget;
  /** Default: `VENICE_BASE_URL` or `https://api.venice.ai/api/v1`. */
  baseURL?: string;
  /**
   * Sign-In-With-X options for a wallet made from `privateKey`. The domain defaults to `VENICE_SIGN_IN_DOMAIN` or the
   * API host: set `api.venice.ai` when Venice is reached through a proxy or the simulator.
   */
  signIn?: SignInOptions;
  /** Budget scope chain, e.g. `agent:planner`. */
  scope?: string | readonly string[];
  /** Transport under the paid fetch (tests, proxies). */
  fetch?: FetchLike;
  /** Retries the paid fetch adds for 429 / 5xx / resets. Default 0: the SDK above it retries. */
  maxRetries?: number;
  /** How budget refusals surface (see `X402FetchOptions.refusal`). */
  refusal?: 'auto' | 'throw';
}

export interface LazyVeniceFetch {
  readonly baseURL: string;
  readonly budget: Budget;
  /** The paid fetch. Credentials are resolved on its first call: a missing key fails that call, not construction. */
  fetch: typeof fetch;
  /** The paying wallet (undefined in API-key mode); resolves credentials. */
  wallet(): Wallet | undefined;
}

/**
 * The paid fetch as adapters need it: credentials from arguments or the environment, read lazily, held
 * only in this closure.
 */
export function createLazyVeniceFetch(credentials: VeniceCredentials = {}): LazyVeniceFetch {
  // Read at first use, like the credentials: a default instance may be created before the env is set.
  const baseURL = () => (credentials.baseURL ?? process.env.VENICE_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  // Made on first use: a default instance created at import (the AI SDK's `venice`) loads no policy schema.
  let budget = credentials.budget;
  const getBudget = () => (budget ??= createBudget());
  let resolved: { fetch: typeof fetch; wallet?: Wallet } | undefined;
  const resolve = () => {
    if (resolved) return resolved;
    const explicit = credentials.privateKey || credentials.wallet || credentials.apiKey;
    const privateKey = credentials.privateKey ?? (explicit ? undefined : process.env.VENICE_WALLET_KEY);
    const apiKey = credentials.apiKey ?? (explicit || privateKey ? undefined : process.env.VENICE_API_KEY);
    const wallet =
      credentials.wallet ??
      (privateKey ? createWallet({ privateKey }, { baseURL: baseURL(), signIn: credentials.signIn }) : undefined);
    if (!wallet && !apiKey) {
      throw new ConfigError(
        'Venice credentials are missing: pass privateKey, wallet or apiKey, or set VENICE_WALLET_KEY or VENICE_API_KEY',
      );
    }
    resolved = {
      wallet,
      fetch: createX402Fetch({
        wallet,
        apiKey,
        budget: getBudget(),
        baseURL: baseURL(),
        scope: credentials.scope,
        fetch: credentials.fetch,
        refusal: credentials.refusal,
        // Adapters run under SDKs that retry 429 / 5xx themselves: one retry policy (the SDK's) bounds the attempts.
        maxRetries: credentials.maxRetries ?? 0,
      }),
    };
    return resolved;
  };
  return {
    get baseURL() {
      return baseURL();
    },
    get budget() {
      return getBudget();
    },
    fetch: (input, init) => resolve().fetch(input, init),
    wallet: () => resolve().wallet,
  };
}
