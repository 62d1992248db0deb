import { AuthError, errorText, findSiwxChallenge, NetworkError, readJson, sleep, X402Error } from '@venice-x402/core';
import { authenticate, stripCredentials } from './authenticate.js';
import { classify } from './classify.js';
import { disputePayee } from './disputes.js';
import { createContext, type X402FetchOptions } from './options.js';
import { PaidCall } from './paid-call.js';
import { handlePaymentRequired, preparePayment } from './payment-required.js';
import { judgeRedirect } from './redirects.js';
import { readRequest } from './request.js';
import { reserveFor } from './reserve.js';
import { retryDelayMs } from './retry.js';
import { sendOnce } from './send.js';
import { settleAnswer } from './settle-answer.js';

export type { X402FetchOptions } from './options.js';
export { OUTCOME_HEADERS } from './settle-answer.js';

const SIWX_RETRY_CODES = new Set([
  'X402_SIGN_IN_EXPIRED',
  'X402_SIGN_IN_NONCE_REUSED',
  'X402_SIGN_IN_FUTURE_TIMESTAMP',
  'X402_SIGN_IN_TIMESTAMP_MISMATCH',
]);

/**
 * The paid fetch: the one choke point for authentication, payment and budget. Use it directly, or as
 * `new OpenAI({ baseURL, apiKey: 'unused', fetch })` / `new Anthropic({ fetch })`.
 *
 * One call: classify → reserve → authenticate → send → (402 pay / 401 re-sign / 3xx judge / 429·5xx retry)
 * → settle. Its hold lives in a `PaidCall`, which is the only place it is taken, renewed and settled.
 */
export function createX402Fetch(options: X402FetchOptions = {}): typeof fetch {
  const ctx = createContext(options);

  return async function x402Fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = await readRequest(input, init);
    const info = classify(ctx, request);
    // Not our API: sent as is, nothing signed or paid.
    if (!info) {
      const { url, method, headers, body, signal, redirect } = request;
      return ctx.baseFetch(url.href, { method, headers, body: body as BodyInit | undefined, signal, redirect });
    }
    const call = new PaidCall(ctx, request, info);
    // Budget refused before any network I/O.
    if (info.paid) {
      try {
        await reserveFor(call);
      } catch (error) {
        if (
          ctx.refusal === 'auto' &&
          sdkRetriesItself(request.headers) &&
          error instanceof X402Error &&
          error.code === 'BUDGET_EXCEEDED'
        )
          return refusalResponse(error);
        throw error;
      }
    }
    if (ctx.quotes && ctx.wallet && !ctx.venice) {
      const cached = ctx.quotes.get(ctx.quotes.key(request.url, info.model));
      if (cached) await preparePayment(call, request.url, cached, true).catch(() => {});
    }
    try {
      return await run(call);
    } catch (error) {
      await call.release(); // whatever escaped: the hold is settled (a no-op when it already was)
      throw error;
    }
  };

  async function run(call: PaidCall): Promise<Response> {
    const { request } = call;
    const headers = request.headers;
    const retries = sdkRetriesItself(headers) ? 0 : ctx.maxRetries;
    let url = request.url;
    let method = request.method;
    let body = request.body;
    for (let attempt = 0; ; attempt++) {
      try {
        await authenticate(call, url, headers);
      } catch (error) {
        return call.fail(error);
      }
      let sent: Awaited<ReturnType<typeof sendOnce>>;
      try {
        sent = await sendOnce(call, url, { method, headers, body });
      } catch (error) {
        if (isAbort(error) || request.signal?.aborted || error instanceof X402Error) return call.fail(error);
        // No answer. Venice bills only what it answers, so a fresh attempt is safe; a payment is re-sent as is.
        if (attempt < retries && (await pause(call, retryBackoff(attempt)))) continue;
        return call.fail(
          new NetworkError(`Request to ${call.info.route} failed after ${attempt + 1} attempts`, { cause: error }),
        );
      }
      const { response } = sent;
      const done = () => {
        sent.releaseSlot();
        sent.clearTimeout();
      };

      const redirect = judgeRedirect(call, url, response);
      if (redirect.kind === 'follow') {
        done();
        await response.body?.cancel().catch(() => {});
        stripCredentials(call, headers);
        call.redirects++;
        attempt--; // a redirect is not a retry
        url = redirect.url;
        method = redirect.method;
        if (redirect.dropBody) {
          body = undefined;
          headers.delete('content-type');
          headers.delete('content-length');
        }
        continue;
      }
      if (redirect.kind === 'return') {
        done();
        if (call.paymentSent) disputePayee(ctx.budget, url.origin, 'redirected elsewhere after a payment');
        await call.release('redirected: the payment, if any, stays counted until reconciled');
        return response; // the 3xx goes back to the caller; our credentials never follow it
      }

      if (response.status === 402) {
        done();
        await handlePaymentRequired(call, url, response);
        continue;
      }

      // Sign-in expired or nonce reused: re-sign once.
      if (response.status === 401 && ctx.venice && ctx.wallet && !call.resignedForAuth) {
        const answer = await readJson(response);
        done();
        const challenge = findSiwxChallenge(answer);
        if (challenge) ctx.wallet.applySignInChallenge(challenge, url);
        const code = (answer as any)?.code as string | undefined;
        if (code && SIWX_RETRY_CODES.has(code)) {
          call.resignedForAuth = true;
          continue;
        }
        return call.fail(new AuthError(errorText(answer, 'Sign-in refused'), { status: 401, serverCode: code }));
      }

      if ((response.status === 429 || response.status >= 500) && attempt < retries) {
        const delay = retryDelayMs(response, attempt, ctx.maxRetryDelayMs);
        await response.body?.cancel().catch(() => {});
        done();
        if (await pause(call, delay)) continue;
        return call.fail(request.signal?.reason);
      }

      if (!response.ok) {
        done();
        if (call.paymentSent) disputePayee(ctx.budget, url.origin, `answered ${response.status} after a payment`);
        await call.release(`answered ${response.status} after a payment: counted until reconciled`);
        return response; // the caller's SDK reports the API error as usual
      }

      return settleAnswer(call, sent);
    }
  }
}

/** Waits before a retry; false when the caller aborted meanwhile. */
async function pause(call: PaidCall, ms: number): Promise<boolean> {
  try {
    await sleep(ms, call.request.signal ?? undefined);
    return true;
  } catch {
    return false;
  }
}

const isAbort = (error: unknown) => (error as Error)?.name === 'AbortError';

/**
 * Stainless-generated SDKs (OpenAI, Anthropic) mark every request with their retry count and retry on
 * their own. Then the paid fetch adds no retries of its own (one policy bounds the attempts), and a budget
 * refusal is answered as a non-retryable HTTP error instead of a thrown one the SDK would call a
 * connection error and retry.
 */
const sdkRetriesItself = (headers: Headers) => headers.has('x-stainless-retry-count');

function refusalResponse(error: X402Error): Response {
  const body = {
    error: {
      message: error.message,
      type: 'budget_exceeded',
      code: error.code,
      param: (error.details.limit as string | undefined) ?? null,
      details: error.details,
    },
  };
  return new Response(JSON.stringify(body), {
    status: 402,
    statusText: 'Budget Exceeded',
    headers: { 'content-type': 'application/json', 'x-should-retry': 'false', 'x-venice-x402-refused': 'budget' },
  });
}

const retryBackoff = (attempt: number) => 100 * 2 ** attempt + Math.random() * 50;
