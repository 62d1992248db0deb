import {
  AuthError,
  type Budget,
  createBudget,
  createEstimator,
  decodePaymentResponse,
  type Estimator,
  errorText,
  type FetchLike,
  findSiwxChallenge,
  formatUsd,
  type Micros,
  NetworkError,
  type PaymentRequired,
  PaymentRequiredError,
  type Reservation,
  readJson,
  sleep,
  type TopUpHint,
  type Wallet,
} from '@venice-x402/core';
import { admissionFor } from './admission.js';
import { chooseRequirement, isVeniceChallenge, QuoteCache, readQuote, signFor } from './payg.js';
import { readRequest } from './request.js';
import { retryDelayMs } from './retry.js';
import { isOpenRoute, isPaidRoute, routeUnder } from './routes.js';
import { type BodyFacts, balanceFromHeaders, factsFromJson, type SseOutcome, tapSse } from './settle.js';

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
  fetch?: FetchLike;
  /** Budget scope chain for every call through this fetch, e.g. `team:research/agent:planner`. */
  scope?: string | readonly string[];
  estimator?: Estimator;
  /** Venice's per-wallet in-flight limit. Default 5. */
  maxInFlight?: number;
  /** Retries for 429 / 5xx / resets. Default 3. */
  maxRetries?: number;
  /** Longest Retry-After honoured. Default 10 s. */
  maxRetryDelayMs?: number;
  /** Pay-per-call: reuse the last quote per (origin, route, model) to pay in one round trip. Default false. */
  quoteCache?: boolean;
}

/** Response headers the paid fetch adds so adapters can report what a call cost. */
export const OUTCOME_HEADERS = {
  costUsd: 'x-venice-x402-cost-usd',
  balanceUsd: 'x-venice-x402-balance-usd',
  paymentTx: 'x-venice-x402-payment-tx',
  requestId: 'x-venice-x402-request-id',
  budgetRemainingUsd: 'x-venice-x402-budget-remaining-usd',
} as const;

const STRIP_ON_REBUILD = ['content-encoding', 'content-length', 'transfer-encoding'];
const SIWX_RETRY_CODES = new Set([
  'X402_SIGN_IN_EXPIRED',
  'X402_SIGN_IN_NONCE_REUSED',
  'X402_SIGN_IN_FUTURE_TIMESTAMP',
  'X402_SIGN_IN_TIMESTAMP_MISMATCH',
]);

/**
 * The paid fetch: the one choke point for authentication, payment and budget. Use it directly, or as
 * `new OpenAI({ baseURL, apiKey: 'unused', fetch })` / `new Anthropic({ fetch })`.
 */
export function createX402Fetch(options: X402FetchOptions = {}): typeof fetch {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const mode = options.mode ?? (options.wallet || options.apiKey ? 'venice' : 'payg');
  const baseURL =
    options.baseURL ??
    (mode === 'payg'
      ? undefined
      : (options.wallet?.baseURL ?? process.env.VENICE_BASE_URL ?? 'https://api.venice.ai/api/v1'));
  const base = baseURL ? new URL(baseURL.replace(/\/+$/, '')) : undefined;
  const budget = options.budget ?? createBudget({ signing: { maxPaymentUsd: 1 } });
  // Top-ups follow the budget's signing rules and payee pins, but their size is governed by `topUp`, not maxPaymentUsd.
  const { maxAmountMicros: _payCap, ...topUpSigning } = budget.signingPolicy;
  const wallet = options.wallet?.withPolicy(topUpSigning, budget.payeePins);
  const apiKey = options.apiKey;
  const estimator =
    options.estimator ??
    createEstimator({
      baseURL: mode === 'payg' ? (base ? base.href : null) : base?.href,
      fetch: baseFetch,
      defaultEstimateUsd: budget.policy.defaultEstimateUsd,
    });
  const maxRetries = options.maxRetries ?? 3;
  const maxDelay = options.maxRetryDelayMs ?? 10_000;
  const admission =
    wallet && base ? admissionFor(`${wallet.address}|${base.origin}`, options.maxInFlight ?? 5) : undefined;
  const quotes = options.quoteCache ? new QuoteCache() : undefined;

  return async function x402Fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const { url, method, headers, body: bodyBytes, signal, redirect } = await readRequest(input, init);
    const route = routeUnder(base, url);
    // Not our API: sent as is, nothing signed or paid.
    if (route === undefined)
      return baseFetch(url.href, { method, headers, body: bodyBytes as BodyInit | undefined, signal, redirect });

    const venice = mode !== 'payg';
    const paid = venice ? isPaidRoute(route) : method !== 'GET' || mode === 'payg';
    const json = parseJson(bodyBytes, headers.get('content-type'));
    const model = typeof json?.model === 'string' ? json.model : undefined;

    // 1–2. Classify, estimate, reserve — before any paid request leaves the process.
    let reservation: Reservation | undefined;
    if (paid) {
      const estimate = await estimator.estimate({ route, body: json, bodyBytes: bodyBytes?.length });
      // Pay-per-call: nothing above the signing cap is ever signed, so no hold needs to exceed it. (A quote
      // above the hold is re-reserved at its exact amount before anything is signed.)
      const payCap = budget.signingPolicy.maxAmountMicros;
      const capped = mode === 'payg' && payCap !== undefined && estimate.micros > payCap;
      reservation = await budget.reserve({
        estimateMicros: capped ? payCap! : estimate.micros,
        scope: options.scope,
        model: estimate.model ?? model,
        route,
      });
    }

    const startedAt = Date.now();
    const promptTokens = promptTokensOf(json);
    let payment: { name: string; value: string; amountMicros: Micros; fromCache: boolean } | undefined;
    let paymentSent = false;
    let paymentTx: string | undefined;
    let resignedForAuth = false;
    let toppedUp = false;
    const quoteKey = quotes?.key(url, model);

    /** Releases the hold, or — when a payment went out and no answer came back — keeps it counted as ambiguous. */
    const fail = async (error: unknown, ambiguous = false): Promise<never> => {
      if (reservation) {
        if (ambiguous) await budget.markAmbiguous(reservation, { model, paymentTx }).catch(() => {});
        else await budget.release(reservation).catch(() => {});
      }
      throw error;
    };

    /** Pay-per-call: check the quote and the budget, then sign. Nothing is signed that either refuses. */
    const preparePayment = async (quote: PaymentRequired, fromCache: boolean) => {
      const requirement = chooseRequirement(quote, budget.signingPolicy);
      if (reservation && requirement.amountMicros > reservation.amountMicros) {
        if (fromCache) return undefined;
        const larger = await budget.reserve({
          estimateMicros: requirement.amountMicros,
          scope: options.scope,
          model,
          route,
        });
        await budget.release(reservation);
        reservation = larger;
      }
      const signed = await signFor(wallet!.signer, quote, requirement);
      return { name: signed.headerName, value: signed.header, amountMicros: signed.amountMicros, fromCache };
    };

    if (quotes && quoteKey && wallet && !venice) {
      const cached = quotes.get(quoteKey);
      if (cached) payment = await preparePayment(cached, true).catch(() => undefined);
    }

    for (let attempt = 0; ; attempt++) {
      // 3. Authenticate: a fresh single-use sign-in for every attempt.
      if (venice && wallet && !isOpenRoute(route)) {
        headers.delete('authorization'); // SDK placeholder keys never leave the process
        headers.set(wallet.signInHeaderName, await wallet.signIn(url.href));
      } else if (apiKey) {
        headers.set('authorization', `Bearer ${apiKey}`);
      } else if (wallet) {
        headers.delete('authorization');
      }
      if (payment) headers.set(payment.name, payment.value);

      // 4. Send, within the wallet's admission limit.
      const release = admission && venice ? await admission.acquire(signal) : undefined;
      let response: Response;
      try {
        if (payment) paymentSent = true;
        response = await baseFetch(url.href, {
          method,
          headers,
          body: bodyBytes as BodyInit | undefined,
          signal,
          redirect,
        });
      } catch (error) {
        release?.();
        if ((error as Error)?.name === 'AbortError' || signal?.aborted) return fail(error, paymentSent);
        // No answer. Venice bills only what it answers, so a fresh attempt is safe; a payment is re-sent as is.
        if (attempt < maxRetries) {
          try {
            await sleep(retryBackoff(attempt), signal ?? undefined);
          } catch (abort) {
            return fail(abort, paymentSent);
          }
          continue;
        }
        return fail(
          new NetworkError(`Request to ${route} failed after ${attempt + 1} attempts`, { cause: error }),
          paymentSent,
        );
      }

      // 5. Payment required.
      if (response.status === 402) {
        const body = await readJson(response);
        release?.();
        if (venice && (mode === 'venice' || isVeniceChallenge(body))) {
          const challenge = findSiwxChallenge(body);
          if (challenge && wallet) wallet.applySignInChallenge(challenge);
          const hint = topUpHint(body);
          if (!wallet || toppedUp || (body as any)?.code !== 'PAYMENT_REQUIRED') {
            const message = !wallet
              ? 'Payment required: no wallet to pay with'
              : toppedUp
                ? 'Still 402 after topping up'
                : errorText(body, 'Payment required');
            return fail(new PaymentRequiredError(message, { topUp: hint, details: { route } }));
          }
          try {
            await budget.topUpGate(startedAt, async (amountUsd) => {
              const r = await wallet.topUp(amountUsd);
              return { amountUsd: r.amountUsd, transaction: r.transaction, newBalanceUsd: r.newBalanceUsd };
            });
          } catch (error) {
            if (error instanceof PaymentRequiredError) {
              return fail(
                new PaymentRequiredError(error.message, { topUp: hint, details: { ...error.details, route } }),
              );
            }
            return fail(error);
          }
          toppedUp = true;
          continue;
        }
        // Pay-per-call. A 402 after we paid means the server refused that payment (no funds moved).
        if (!wallet)
          return fail(new PaymentRequiredError('Payment required: no wallet to pay with', { details: { route } }));
        if (payment && !payment.fromCache) {
          return fail(
            new PaymentRequiredError(`Payment refused by the server: ${errorText(body, '402')}`, {
              details: { route },
            }),
          );
        }
        try {
          const quote = readQuote(response, body);
          payment = await preparePayment(quote, false);
          if (quotes && quoteKey) quotes.set(quoteKey, quote);
          paymentSent = false;
        } catch (error) {
          if (quotes && quoteKey) quotes.delete(quoteKey);
          return fail(error);
        }
        continue;
      }

      // 6. Sign-in expired or nonce reused: re-sign once.
      if (response.status === 401 && venice && wallet && !resignedForAuth) {
        const body = await readJson(response);
        release?.();
        const challenge = findSiwxChallenge(body);
        if (challenge) wallet.applySignInChallenge(challenge);
        const code = (body as any)?.code as string | undefined;
        if (code && SIWX_RETRY_CODES.has(code)) {
          resignedForAuth = true;
          continue;
        }
        return fail(new AuthError(errorText(body, 'Sign-in refused'), { status: 401, serverCode: code }));
      }

      if ((response.status === 429 || response.status >= 500) && attempt < maxRetries) {
        const delay = retryDelayMs(response, attempt, maxDelay);
        await response.body?.cancel().catch(() => {});
        release?.();
        try {
          await sleep(delay, signal ?? undefined);
        } catch (abort) {
          return fail(abort, paymentSent);
        }
        continue;
      }

      if (!response.ok) {
        release?.();
        if (reservation) await budget.release(reservation);
        return response; // the caller's SDK reports the API error as usual; nothing was charged
      }

      // 7. Settle.
      if (payment) {
        try {
          paymentTx = decodePaymentResponse(response.headers.get('PAYMENT-RESPONSE'))?.transaction;
        } catch {
          paymentTx = undefined; // a garbled receipt does not undo a paid answer
        }
      }
      const facts = { model, paymentTx, paygMicros: payment?.amountMicros, promptTokens };
      const isSse = (response.headers.get('content-type') ?? '').includes('text/event-stream');
      if (!reservation) {
        if (isSse && response.body) return wrapStream(response, release, undefined);
        release?.();
        return response;
      }
      const held = reservation;
      if (isSse && response.body) return wrapStream(response, release, (outcome) => settleStream(held, outcome, facts));
      let buffer: Uint8Array;
      try {
        buffer = new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        release?.();
        // Cut while reading: a paid-per-call answer is spent; a Venice answer that never completed is not billed.
        if (payment)
          await budget.commit(held, payment.amountMicros, {
            model,
            source: 'payment',
            paymentTx,
            note: 'body lost after payment',
          });
        else await budget.release(held);
        throw new NetworkError(`Response body of ${route} was cut`, { cause: error });
      }
      release?.();
      const bodyFacts = (response.headers.get('content-type') ?? '').includes('json')
        ? factsFromJson(parseJson(buffer, 'json'))
        : {};
      const requestId = bodyFacts.requestId ?? response.headers.get('x-request-id') ?? undefined;
      const cost = await actualCost(held, bodyFacts, facts, json);
      const balance = balanceFromHeaders(response.headers);
      await budget.commit(held, cost.micros, {
        requestId,
        model: bodyFacts.model ?? model,
        source: cost.source,
        balanceRemainingMicros: balance,
        paymentTx,
      });
      const outHeaders = new Headers(response.headers);
      for (const h of STRIP_ON_REBUILD) outHeaders.delete(h);
      outHeaders.set(OUTCOME_HEADERS.costUsd, formatUsd(cost.micros));
      if (balance !== undefined) outHeaders.set(OUTCOME_HEADERS.balanceUsd, formatUsd(balance));
      if (paymentTx) outHeaders.set(OUTCOME_HEADERS.paymentTx, paymentTx);
      if (requestId) outHeaders.set(OUTCOME_HEADERS.requestId, requestId);
      const left = await budget.remaining(options.scope);
      if (left !== undefined) outHeaders.set(OUTCOME_HEADERS.budgetRemainingUsd, String(left));
      return new Response(buffer as Uint8Array<ArrayBuffer>, {
        status: response.status,
        statusText: response.statusText,
        headers: outHeaders,
      });
    }
  };

  function wrapStream(
    response: Response,
    release: (() => void) | undefined,
    onEnd: ((o: SseOutcome) => Promise<void>) | undefined,
  ) {
    const body = tapSse(response.body!, (outcome) => {
      release?.();
      onEnd?.(outcome).catch(() => {});
    });
    const headers = new Headers(response.headers);
    for (const h of STRIP_ON_REBUILD) headers.delete(h);
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  }

  async function settleStream(
    held: Reservation,
    outcome: SseOutcome,
    facts: { model?: string; paymentTx?: string; paygMicros?: Micros; promptTokens: number },
  ) {
    let cost: { micros: Micros; source: 'cost' | 'usage' | 'payment' | 'partial' | 'estimate' };
    if (facts.paygMicros !== undefined) cost = { micros: facts.paygMicros, source: 'payment' };
    else if (!outcome.cut) cost = await actualCost(held, outcome, facts, undefined);
    else {
      // Cut mid-way: bill what the server produced (prompt + streamed tokens), not zero, not the whole estimate.
      const pricing = await estimator.pricing(outcome.model ?? facts.model ?? held.model);
      const promptTokens = outcome.usage?.promptTokens ?? facts.promptTokens;
      const micros = pricing
        ? tokenMicros(promptTokens, pricing.input) + tokenMicros(outcome.streamedTokens, pricing.output)
        : held.amountMicros;
      cost = { micros: micros > held.amountMicros ? held.amountMicros : micros, source: 'partial' };
    }
    await budget.commit(held, cost.micros, {
      requestId: outcome.requestId,
      model: outcome.model ?? facts.model,
      source: cost.source,
      paymentTx: facts.paymentTx,
      note: outcome.cut
        ? `stream cut after ${outcome.streamedTokens} tokens: billed the partial output`
        : outcome.error,
    });
  }

  async function actualCost(
    held: Reservation,
    body: BodyFacts,
    facts: { model?: string; paygMicros?: Micros },
    request: any,
  ): Promise<{ micros: Micros; source: 'cost' | 'usage' | 'payment' | 'estimate' }> {
    if (facts.paygMicros !== undefined) return { micros: facts.paygMicros, source: 'payment' };
    if (body.costMicros !== undefined) return { micros: body.costMicros, source: 'cost' };
    const pricing = await estimator.pricing(body.model ?? facts.model ?? held.model);
    if (pricing && body.usage) {
      return {
        micros:
          tokenMicros(body.usage.promptTokens ?? 0, pricing.input) +
          tokenMicros(body.usage.completionTokens ?? 0, pricing.output),
        source: 'usage',
      };
    }
    if (pricing?.image !== undefined && body.images)
      return { micros: BigInt(Math.ceil(pricing.image * 1e6)) * BigInt(body.images), source: 'usage' };
    if (pricing?.perAudioSecond !== undefined && body.audioSeconds !== undefined) {
      return { micros: BigInt(Math.ceil(body.audioSeconds * pricing.perAudioSecond * 1e6)), source: 'usage' };
    }
    if (pricing?.input !== undefined && held.route.endsWith('/audio/speech') && typeof request?.input === 'string') {
      return { micros: tokenMicros(request.input.length, pricing.input), source: 'usage' };
    }
    return { micros: held.amountMicros, source: 'estimate' };
  }
}

/** The server's view of prompt size: message text ≈ 4 characters per token (used for cut streams only). */
function promptTokensOf(json: any): number {
  const text = (Array.isArray(json?.messages) ? json.messages : [])
    .map((m: any) => (typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '')))
    .join('\n');
  return Math.max(1, Math.ceil(text.length / 4)) + (json?.tools ? Math.ceil(JSON.stringify(json.tools).length / 4) : 0);
}

const tokenMicros = (units: number, usdPerMillion = 0) => BigInt(Math.ceil(units * usdPerMillion));

function parseJson(bytes: Uint8Array | undefined, contentType: string | null): any {
  if (!bytes || bytes.length === 0 || bytes.length > 32 * 1024 * 1024) return undefined;
  if (contentType && !contentType.includes('json')) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

function topUpHint(body: unknown): TopUpHint {
  const b = (body ?? {}) as Record<string, any>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    currentBalanceUsd: n(b.currentBalanceUsd),
    minimumBalanceUsd: n(b.minimumBalanceUsd),
    suggestedTopUpUsd: n(b.suggestedTopUpUsd),
    minimumTopUpUsd: n(b.minimumTopUpUsd),
    receiverWallet:
      typeof b.topUpInstructions?.receiverWallet === 'string' ? b.topUpInstructions.receiverWallet : undefined,
    network: typeof b.topUpInstructions?.network === 'string' ? b.topUpInstructions.network : undefined,
  };
}

const retryBackoff = (attempt: number) => 100 * 2 ** attempt + Math.random() * 50;
