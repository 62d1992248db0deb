import { inspect } from 'node:util';
import type { Address } from 'viem';
import { DEFAULT_BASE_URL } from './constants.js';
import type { FetchLike } from './http.js';
import { type Signer, type SignerSource, toSigner } from './signer.js';
import {
  createSignInFactory,
  type SignInFactory,
  type SignInOptions,
  type SignInTarget,
  type SiwxChallengeInfo,
} from './siwx.js';
import { isSolanaSource, type SolanaSigner, type SolanaSignerSource, toSolanaSigner } from './solana/signer.js';
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
import { type AcceptedRequirement, defaultSigningPolicy, memoryPayeePins, type PayeePins } from './x402/quote.js';
import { type PaymentShape, type SignedPayment, type SignPaymentOptions, signPayment } from './x402/sign.js';
import type { SigningPolicy } from './x402/terms.js';
import { permit2NonceUsed, type UptoAuthorization, uptoSettlementOnChain } from './x402/upto-settlement.js';

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
  /**
   * Solana wallets: the JSON-RPC endpoint that payments read the USDC mint and a recent blockhash from.
   * Default `SOLANA_RPC_URL`, else the public mainnet endpoint `@x402/svm` uses. The simulator serves one.
   */
  solanaRpcUrl?: string;
  /**
   * EVM: a JSON-RPC endpoint of the payment's chain. Permit2 payments (`upto`, Permit2 `exact`) read the wallet's
   * one-time approval of Permit2 from it before signing and fail with ApprovalRequiredError when it is missing.
   * None (default): nothing is read and the server's answer tells.
   */
  evmRpcUrl?: string;
}

interface WalletCommon {
  readonly baseURL: string;
  /** `SIGN-IN-WITH-X` or `X-Sign-In-With-X`. */
  readonly signInHeaderName: string;
  /**
   * One fresh single-use Sign-In-With-X header value for `resourceUrl` (default: the base URL). The configured
   * sign-in domain applies only to the base URL (or with `target.venice`); any other origin gets its own host.
   */
  signIn(resourceUrl?: string | URL, target?: SignInTarget): Promise<string>;
  /**
   * Follow a Sign-In-With-X challenge that the origin `from` sent, for later sign-ins to that origin only: its
   * domain if it is that origin's own site, its uri if on that origin, its statement if it is one of Venice's.
   */
  applySignInChallenge(info: SiwxChallengeInfo, from: string | URL): void;
  /**
   * Stops the wallet's signing thread now (it also stops by itself after 30–60 s unused) and drops headers signed
   * ahead. The wallet stays usable: the next signature starts what it needs again.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  balance(): Promise<Balance>;
  topUp(amountUsd: number): Promise<TopUpResult>;
  /** What a top-up would pay (receiver, network, asset, minimum), validated by the policy. Signs nothing. */
  topUpQuote(): Promise<TopUpQuote>;
  transactions(page?: { limit?: number; offset?: number }): Promise<TransactionsPage>;
  /** Every transaction, newest first, across all pages. */
  allTransactions(pageSize?: number): AsyncGenerator<VeniceTransaction>;
  /** Signs a payment for a requirement that already passed `selectRequirement` (pay-per-call). */
  signPayment(requirement: AcceptedRequirement, options?: SignPaymentOptions): Promise<SignedPayment>;
  /**
   * What an `upto` payment settled, read from the chain through `evmRpcUrl` (`uptoSettlementOnChain`); undefined
   * without an RPC or when the chain does not show that settlement. Optional: a wallet of your own may leave it out.
   */
  uptoSettlement?(transaction: string, authorization: UptoAuthorization): Promise<bigint | undefined>;
  /** Whether Permit2 has used an `upto` authorization's nonce, through `evmRpcUrl`; undefined without one. */
  uptoNonceUsed?(authorization: UptoAuthorization): Promise<boolean | undefined>;
}

/** A wallet with an EVM key (Base): EIP-191 sign-in, EIP-3009 payments. */
export interface EvmWallet extends WalletCommon {
  readonly kind: 'evm';
  readonly address: Address;
  /** The signer, for payments. Holds no key material itself beyond the signing closure. */
  readonly signer: Signer;
  /** Same wallet with another signing policy / pin store (used by budgets). */
  withPolicy(policy: SigningPolicy, pins: PayeePins): EvmWallet;
}

/** A wallet with a Solana key: Ed25519 sign-in, SPL USDC payments through `@x402/svm`. */
export interface SolanaWallet extends WalletCommon {
  readonly kind: 'solana';
  /** Base58 public key. */
  readonly address: string;
  readonly signer: SolanaSigner;
  withPolicy(policy: SigningPolicy, pins: PayeePins): SolanaWallet;
}

/** Either kind: every adapter takes both. */
export type Wallet = EvmWallet | SolanaWallet;

/**
 * `{ privateKey }` (0x hex) or `{ account }` → an EVM wallet; `{ solanaPrivateKey }` (base58 64-byte secret key
 * or 32-byte seed) or `{ solanaSigner }` (a @solana/kit signer) → a Solana wallet.
 */
export function createWallet(source: SolanaSignerSource, options?: WalletOptions): SolanaWallet;
export function createWallet(source: SignerSource, options?: WalletOptions): EvmWallet;
export function createWallet(source: SignerSource | SolanaSignerSource, options?: WalletOptions): Wallet;
export function createWallet(source: SignerSource | SolanaSignerSource, options: WalletOptions = {}): Wallet {
  const signer =
    source && typeof source === 'object' && isSolanaSource(source)
      ? toSolanaSigner(source)
      : toSigner(source as SignerSource, { offThread: options.signOffThread ?? true });
  const baseURL = (options.baseURL ?? process.env.VENICE_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const signIn = createSignInFactory(signer, baseURL, {
    ...options.signIn,
    // EVM private keys sign ahead in batches: a signing thread up to 16 (woken once per ~14 calls), the event
    // loop up to 4 (a batch there delays its other work). Ed25519 signs in microseconds, external signers on demand.
    defaultPresign: 'privateKey' in source ? (options.signOffThread === false ? 4 : 16) : 0,
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
  signer: Signer | SolanaSigner,
  baseURL: string,
  signIn: SignInFactory,
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
    solanaRpcUrl: options.solanaRpcUrl,
  };
  const wallet = {
    kind: 'kind' in signer ? signer.kind : 'evm',
    address: signer.address,
    signer,
    baseURL,
    signInHeaderName: signIn.headerName,
    signIn: (resourceUrl?: string | URL, target?: SignInTarget) => signIn.signIn(resourceUrl, target),
    applySignInChallenge: (info: SiwxChallengeInfo, from: string | URL) => signIn.applyChallenge(info, from),
    close: () => signIn.close(),
    [Symbol.asyncDispose]: () => signIn.close(),
    balance: () => getBalance(ctx),
    topUp: (amountUsd: number) => topUp(ctx, amountUsd),
    topUpQuote: () => topUpQuote(ctx),
    transactions: (page?: { limit?: number; offset?: number }) => getTransactions(ctx, page),
    allTransactions: (pageSize?: number) => iterateTransactions(ctx, pageSize),
    signPayment: (requirement: AcceptedRequirement, opts?: SignPaymentOptions) =>
      signPayment(signer, requirement, {
        solanaRpcUrl: options.solanaRpcUrl,
        evmRpcUrl: options.evmRpcUrl,
        ...opts,
      }),
    uptoSettlement: async (transaction: string, authorization: UptoAuthorization) =>
      options.evmRpcUrl ? uptoSettlementOnChain(options.evmRpcUrl, transaction, authorization) : undefined,
    uptoNonceUsed: async (authorization: UptoAuthorization) =>
      options.evmRpcUrl ? permit2NonceUsed(options.evmRpcUrl, authorization) : undefined,
    withPolicy: (policy: SigningPolicy, pins: PayeePins) => build(signer, baseURL, signIn, options, policy, pins),
  } as Wallet;
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
