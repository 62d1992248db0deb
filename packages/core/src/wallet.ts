import { inspect } from 'node:util';
import type { Address } from 'viem';
import { DEFAULT_BASE_URL } from './constants.js';
import type { FetchLike } from './http.js';
import { type Signer, type SignerSource, toSigner } from './signer.js';
import { createSignInFactory, type SignInOptions, type SiwxChallengeInfo } from './siwx.js';
import type { VeniceTransaction } from './venice/schemas.js';
import {
  type Balance,
  getBalance,
  getTransactions,
  iterateTransactions,
  type TopUpQuote,
  type TopUpResult,
  type TransactionsPage,
  topUp,
  topUpQuote,
  type WalletApiContext,
} from './venice/wallet-api.js';
import { defaultSigningPolicy, memoryPayeePins, type PayeePins, type SigningPolicy } from './x402/quote.js';
import type { PaymentShape } from './x402/sign.js';

export interface WalletOptions {
  /** Venice API base URL. Default `https://api.venice.ai/api/v1` (or VENICE_BASE_URL). */
  baseURL?: string;
  fetch?: FetchLike;
  signIn?: SignInOptions;
  /** What top-ups (and pay-per-call payments) may be signed for. A budget supplies its own. */
  signingPolicy?: Partial<SigningPolicy>;
  /**
   * Sign Sign-In-With-X messages of a private key in a worker thread, off the event loop. Default true.
   * External signers (browser wallets, KMS, viem accounts) always sign where they are.
   */
  signOffThread?: boolean;
  /** Where trust-on-first-use payee pins live. A budget store supplies a shared one. */
  payeePins?: PayeePins;
  /**
   * Top-up payload layout: `hybrid` (default: what Venice's own client sends, as X-402-Payment — accepted for any
   * amount) or `v2` (an x402 v2 PaymentPayload as PAYMENT-SIGNATURE — stock v2 servers accept it only when the
   * amount equals an advertised entry).
   */
  paymentShape?: PaymentShape;
}

export interface Wallet {
  readonly address: Address;
  /** The signer, for payments. Holds no key material itself beyond the signing closure. */
  readonly signer: Signer;
  readonly baseURL: string;
  /** `SIGN-IN-WITH-X` or `X-Sign-In-With-X`. */
  readonly signInHeaderName: string;
  /** One fresh single-use Sign-In-With-X header value. */
  signIn(resourceUrl?: string): Promise<string>;
  /** Follow a server's Sign-In-With-X challenge (domain / uri) for later signatures. */
  applySignInChallenge(info: SiwxChallengeInfo): void;
  balance(): Promise<Balance>;
  topUp(amountUsd: number): Promise<TopUpResult>;
  /** What a top-up would pay (receiver, network, asset, minimum), validated by the policy. Signs nothing. */
  topUpQuote(): Promise<TopUpQuote>;
  transactions(page?: { limit?: number; offset?: number }): Promise<TransactionsPage>;
  /** Every transaction, newest first, across all pages. */
  allTransactions(pageSize?: number): AsyncGenerator<VeniceTransaction>;
  /** Same wallet with another signing policy / pin store (used by budgets). */
  withPolicy(policy: SigningPolicy, pins: PayeePins): Wallet;
}

export function createWallet(source: SignerSource, options: WalletOptions = {}): Wallet {
  const signer = toSigner(source, { offThread: options.signOffThread ?? true });
  const baseURL = (options.baseURL ?? process.env.VENICE_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const signIn = createSignInFactory(signer, baseURL, {
    ...options.signIn,
    // Private keys sign ahead (in batches, off the event loop by default); external signers only on demand.
    defaultPresign: 'privateKey' in source ? 4 : 0,
  });
  return build(
    signer,
    baseURL,
    signIn,
    options,
    {
      ...defaultSigningPolicy,
      ...options.signingPolicy,
    },
    options.payeePins ?? memoryPayeePins(),
  );
}

function build(
  signer: Signer,
  baseURL: string,
  signIn: ReturnType<typeof createSignInFactory>,
  options: WalletOptions,
  signingPolicy: SigningPolicy,
  payeePins: PayeePins,
): Wallet {
  const ctx: WalletApiContext = {
    signer,
    signIn,
    baseURL,
    fetch: options.fetch,
    signingPolicy,
    payeePins,
    paymentShape: options.paymentShape,
  };
  const wallet: Wallet = {
    address: signer.address,
    signer,
    baseURL,
    signInHeaderName: signIn.headerName,
    signIn: (resourceUrl) => signIn.signIn(resourceUrl),
    applySignInChallenge: (info) => signIn.applyChallenge(info),
    balance: () => getBalance(ctx),
    topUp: (amountUsd) => topUp(ctx, amountUsd),
    topUpQuote: () => topUpQuote(ctx),
    transactions: (page) => getTransactions(ctx, page),
    allTransactions: (pageSize) => iterateTransactions(ctx, pageSize),
    withPolicy: (policy, pins) => build(signer, baseURL, signIn, options, policy, pins),
  };
  // Serialisation and inspection show the address only.
  Object.defineProperties(wallet, {
    toJSON: { value: () => ({ address: signer.address, baseURL }), enumerable: false },
    [inspect.custom]: {
      value: () => `Wallet { address: '${signer.address}', baseURL: '${baseURL}' }`,
      enumerable: false,
    },
    signer: { value: signer, enumerable: false },
  });
  return wallet;
}
