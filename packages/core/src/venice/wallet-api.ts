import { DEFAULT_BASE_URL, TOP_UP_MAX_MICROS, TOP_UP_MIN_MICROS } from '../constants.js';
import { AuthError, HttpError, ProtocolError, QuoteRejectedError, TopUpError } from '../errors.js';
import { errorText, type FetchLike, joinUrl, readJson, send, sleep } from '../http.js';
import { formatUsd, type Micros, microsToUsd, usdToMicros } from '../money.js';
import type { Signer } from '../signer.js';
import type { SignInFactory } from '../siwx.js';
import { findSiwxChallenge } from '../siwx.js';
import { isSolanaSigner, type SolanaSigner } from '../solana/signer.js';
import { decodePaymentResponse, parseWith, readPaymentRequired } from '../x402/codec.js';
import { checkPin, enforcePayeePin, isAllowedPayee, type PayeePins, selectRequirement } from '../x402/quote.js';
import { type PaymentShape, signPayment } from '../x402/sign.js';
import type { SigningPolicy } from '../x402/terms.js';
import { type VeniceTransaction, veniceSchemas } from './schemas.js';

export interface Balance {
  walletAddress?: string;
  balanceUsd: number;
  canConsume: boolean;
  diemBalanceUsd?: number;
  minimumTopUpUsd: number;
  suggestedTopUpUsd: number;
}

export interface TransactionsPage {
  transactions: VeniceTransaction[];
  hasMore: boolean;
  currentBalanceUsd?: number;
}

export interface TopUpResult {
  amountUsd: number;
  newBalanceUsd: number;
  paymentId?: string;
  /** On-chain transaction hash from PAYMENT-RESPONSE, when the server sent one. */
  transaction?: string;
  network?: string;
  payTo: string;
  /** The payment's id: its EIP-3009 authorization nonce, or the payer's Solana transaction signature. */
  paymentNonce: string;
}

export interface WalletApiContext {
  signer: Signer | SolanaSigner;
  signIn: SignInFactory;
  baseURL?: string;
  fetch?: FetchLike;
  signingPolicy: SigningPolicy;
  payeePins: PayeePins;
  /** Header layout for top-ups. Default `hybrid` (X-402-Payment, as Venice's official client sends); `v2` is PAYMENT-SIGNATURE. */
  paymentShape?: PaymentShape;
  /** Solana wallets: the JSON-RPC endpoint payments read the mint and a blockhash from. */
  solanaRpcUrl?: string;
}

/** GET a wallet route with a fresh sign-in; one re-sign on an expired / reused nonce. */
async function walletGet(ctx: WalletApiContext, path: string): Promise<unknown> {
  const url = joinUrl(ctx.baseURL ?? DEFAULT_BASE_URL, path);
  const fetchImpl = ctx.fetch ?? fetch;
  for (let attempt = 0; ; attempt++) {
    const header = await ctx.signIn.signIn(url, { fresh: attempt > 0 }); // a re-sign after a 401 is signed now
    const response = await send(fetchImpl, url, { headers: { [ctx.signIn.headerName]: header } });
    const body = await readJson(response);
    if (response.ok) return body;
    const code = (body as any)?.code as string | undefined;
    if (response.status === 401 || response.status === 402 || response.status === 403) {
      const challenge = findSiwxChallenge(body);
      if (challenge) ctx.signIn.applyChallenge(challenge, url);
      if (attempt === 0 && response.status === 401) continue;
      throw new AuthError(errorText(body, `Wallet request refused (${response.status})`), {
        status: response.status,
        serverCode: code ?? (response.status === 403 ? 'X402_WALLET_MISMATCH' : undefined),
      });
    }
    throw new HttpError(response.status, errorText(body, `Wallet request failed (${response.status})`), {
      path: new URL(url).pathname,
    });
  }
}

export async function getBalance(ctx: WalletApiContext): Promise<Balance> {
  const body = await walletGet(ctx, `x402/balance/${ctx.signer.address}`);
  return parseWith(veniceSchemas().balanceSchema, body, 'Balance response') as Balance;
}

export async function getTransactions(
  ctx: WalletApiContext,
  { limit, offset }: { limit?: number; offset?: number } = {},
): Promise<TransactionsPage> {
  const qs = new URLSearchParams();
  if (limit !== undefined) qs.set('limit', String(limit));
  if (offset !== undefined) qs.set('offset', String(offset));
  const q = qs.size ? `?${qs}` : '';
  const body = await walletGet(ctx, `x402/transactions/${ctx.signer.address}${q}`);
  const page = parseWith(veniceSchemas().transactionsSchema, body, 'Transactions response');
  return { transactions: page.transactions, hasMore: page.pagination.hasMore, currentBalanceUsd: page.currentBalance };
}

/** Every transaction, newest first, fetching pages of `pageSize` (offset pagination). */
export async function* iterateTransactions(ctx: WalletApiContext, pageSize = 100): AsyncGenerator<VeniceTransaction> {
  let offset = 0;
  for (;;) {
    const page = await getTransactions(ctx, { limit: pageSize, offset });
    yield* page.transactions;
    if (!page.hasMore || page.transactions.length === 0) return;
    offset += page.transactions.length;
  }
}

const RESEND_DELAYS_MS = [250, 750, 1500, 3000];

/** What a top-up would pay, as validated by the signing policy, before anything is signed. */
export interface TopUpQuote {
  payTo: string;
  network: string;
  asset: string;
  minimumUsd: number;
  maxTimeoutSeconds: number;
  /** The receiver matches the trust-on-first-use pin (false: first top-up, it will be pinned). */
  pinned: boolean;
}

/**
 * Discovery 402 → the USDC option of the wallet's chain (Base, or Solana) the policy allows. Throws
 * QuoteRejectedError / ProtocolError / TopUpError.
 */
async function discoverTopUp(ctx: WalletApiContext) {
  const base = ctx.baseURL ?? DEFAULT_BASE_URL;
  const url = joinUrl(base, 'x402/top-up');
  const discovery = await send(ctx.fetch ?? fetch, url, { method: 'POST' });
  const body = await readJson(discovery);
  if (discovery.status !== 402) {
    throw new TopUpError(errorText(body, `Top-up discovery answered ${discovery.status}, expected 402`), {
      status: discovery.status,
      retryable: discovery.status >= 500 || discovery.status === 429,
    });
  }
  const quote = readPaymentRequired(discovery.headers.get('PAYMENT-REQUIRED'), body);
  if (!quote) throw new ProtocolError('Top-up 402 carries no payment requirements');
  // A top-up's size is bounded by the caller's amount and the $10,000 maximum, not the per-payment cap.
  const { maxAmountMicros: _cap, ...policyWithoutCap } = ctx.signingPolicy;
  const solana = isSolanaSigner(ctx.signer);
  const req = selectRequirement(quote, policyWithoutCap, solana ? 'solana' : 'evm');
  if (req.amountMicros > TOP_UP_MAX_MICROS) {
    throw new QuoteRejectedError('amount', 'Advertised minimum exceeds the $10,000 top-up maximum');
  }
  // Venice's receiver differs per chain: each is pinned on its own.
  return { req, url, pinKey: `venice-top-up:${new URL(base).host}${solana ? '|solana' : ''}` };
}

/** Previews a top-up: the validated quote, and whether its receiver is the pinned one. Signs nothing, pins nothing. */
export async function topUpQuote(ctx: WalletApiContext): Promise<TopUpQuote> {
  const { req, pinKey } = await discoverTopUp(ctx);
  const pin = await ctx.payeePins.getPin(pinKey);
  if (!isAllowedPayee(ctx.signingPolicy, req)) checkPin(pin, req);
  return {
    payTo: req.payTo,
    network: req.network,
    asset: req.asset,
    minimumUsd: microsToUsd(req.amountMicros),
    maxTimeoutSeconds: req.maxTimeoutSeconds,
    pinned: Boolean(pin),
  };
}

/**
 * x402 top-up: discovery 402 → pick USDC on the wallet's chain → validate the quote → sign one payment
 * (EIP-3009 on Base, an SPL transfer on Solana) → settle. A 409 or an unanswered settlement re-sends the *same* signed payment (credited at most once);
 * a second payment is never signed here.
 */
export async function topUp(ctx: WalletApiContext, amountUsd: number): Promise<TopUpResult> {
  const amountMicros = usdToMicros(amountUsd);
  if (amountMicros < TOP_UP_MIN_MICROS || amountMicros > TOP_UP_MAX_MICROS) {
    throw new QuoteRejectedError('amount', 'A Venice top-up must be between $5 and $10,000', { amountUsd });
  }
  if (ctx.signingPolicy.maxAmountMicros !== undefined && amountMicros > ctx.signingPolicy.maxAmountMicros) {
    throw new QuoteRejectedError('amount', `Top-up of $${formatUsd(amountMicros, 2)} exceeds the signing cap`, {
      capMicros: ctx.signingPolicy.maxAmountMicros.toString(),
    });
  }
  const { req, url, pinKey } = await discoverTopUp(ctx);
  if (amountMicros < req.amountMicros) {
    throw new QuoteRejectedError('amount', `Top-up below the server minimum of $${formatUsd(req.amountMicros, 2)}`, {
      minimumMicros: req.amountMicros.toString(),
    });
  }
  const fetchImpl = ctx.fetch ?? fetch;
  await enforcePayeePin(ctx.payeePins, pinKey, req, ctx.signingPolicy);

  const payment = await signPayment(ctx.signer, req, {
    // Venice's own client sends the hybrid layout, known to be accepted for any amount; stock x402 v2 matching
    // would refuse a v2 payload whose amount differs from the advertised minimum (README: Wire choices).
    shape: ctx.paymentShape ?? 'hybrid',
    amountMicros,
    resource: { url, description: 'Venice x402 top-up', mimeType: 'application/json' },
    solanaRpcUrl: ctx.solanaRpcUrl,
  });

  let lastProblem = 'no answer';
  for (let attempt = 0; attempt <= RESEND_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await sleep(RESEND_DELAYS_MS[attempt - 1]!);
    let response: Response;
    try {
      response = await send(fetchImpl, url, { method: 'POST', headers: { [payment.headerName]: payment.header } });
    } catch (error) {
      lastProblem = (error as Error).message;
      continue; // unanswered: the same payment is safe to resend
    }
    const body = await readJson(response);
    if (response.ok) {
      const data = parseWith(veniceSchemas().topUpSuccessSchema, body, 'Top-up response');
      let settlement: ReturnType<typeof decodePaymentResponse>;
      try {
        settlement = decodePaymentResponse(response.headers.get('PAYMENT-RESPONSE'));
      } catch {
        settlement = undefined; // credit happened; a garbled receipt header must not turn it into a failure
      }
      return {
        amountUsd: data.amountCredited,
        newBalanceUsd: data.newBalance,
        paymentId: data.paymentId,
        transaction: settlement?.transaction,
        network: settlement?.network,
        payTo: payment.payTo,
        paymentNonce: payment.nonce,
      };
    }
    const code = typeof (body as any)?.error === 'string' ? ((body as any).error as string) : undefined;
    if (response.status === 409 || response.status === 504 || response.status >= 500) {
      lastProblem = `${response.status} ${code ?? ''}`.trim();
      continue;
    }
    throw new TopUpError(errorText(body, `Top-up failed (${response.status})`), {
      status: response.status,
      serverCode: code,
      retryable: response.status === 402 || response.status === 429,
    });
  }
  throw new TopUpError('Top-up settlement unconfirmed: check the balance before paying again', {
    ambiguous: true,
    details: { lastProblem, paymentNonce: payment.nonce, amountUsd: microsToUsd(amountMicros) },
  });
}

export type { Micros };
