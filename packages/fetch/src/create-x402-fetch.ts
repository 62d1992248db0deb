import { privateModelKind, X402Error } from '@venice-x402/core';
import { errorAnswer, fail, give, noAnswer, redirected, retryable, type Step, signInRefused } from './answers.js';
import { authenticate } from './authenticate.js';
import { classify } from './classify.js';
import { createContext, type X402FetchOptions } from './options.js';
import { linkOutcome, withoutOurHeaders } from './outcome.js';
import { PaidCall } from './paid-call.js';
import { paymentRequired, preparePayment } from './payment-required.js';
import { PrivateModelCall } from './private-model.js';
import { readRequest } from './request.js';
import { reserveFor } from './reserve.js';
import { sendOnce, type Target } from './send.js';
import { settleAnswer } from './settle-answer.js';

export type { X402FetchOptions } from './options.js';
export { OUTCOME_HEADERS } from './outcome.js';

/**
 * The paid fetch: the one choke point for authentication, payment and budget. Use it directly, or as
 * `new OpenAI({ baseURL, apiKey: 'unused', fetch })` / `new Anthropic({ fetch })`.
 *
 * One call: classify → reserve → authenticate → send → (3xx judge / 402 pay / 401 re-sign / 429·5xx retry)
 * → settle. A `PaidCall` owns its hold, slot and timers; `outcomeOf(response)` awaits its settlement.
 */
export function createX402Fetch(options: X402FetchOptions = {}): typeof fetch {
  const ctx = createContext(options);

  return async function x402Fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = await readRequest(input, init);
    const info = classify(ctx, request);
    // Not our API: sent as is, nothing signed or paid.
    if (!info) {
      const { url, method, headers, body, signal, redirect } = request;
      const response = await ctx.baseFetch(url.href, {
        method,
        headers,
        body: body as BodyInit | undefined,
        signal,
        redirect,
      });
      return withoutOurHeaders(response);
    }
    const call = new PaidCall(ctx, request, info);
    // Under an SDK that retries on its own, a budget refusal is an HTTP answer, not a "connection error".
    // So is a private model's failed attestation or E2EE check: retried as a "connection error", a failed E2EE
    // answer would be paid for again.
    const refused = (error: unknown) =>
      ctx.refusal === 'auto' &&
      sdkRetriesItself(request.headers) &&
      error instanceof X402Error &&
      REFUSAL_TYPES[error.code] !== undefined;
    // Budget refused before any paid network I/O.
    if (info.paid) {
      try {
        await reserveFor(call);
      } catch (error) {
        if (refused(error)) return refusalResponse(error as X402Error);
        throw error;
      }
    }
    if (ctx.quotes && ctx.wallet && !ctx.venice) {
      const cached = ctx.quotes.get(ctx.quotes.key(request.url, info.model));
      if (cached) await preparePayment(call, request.url, cached, true).catch(() => {});
    }
    try {
      // A private model: attested (and for E2EE, sealed) before anything is sent to it.
      if (privateModelKind(info.model)) call.privateModel = await PrivateModelCall.open(call, x402Fetch);
      return linkOutcome(await run(call), call.settled);
    } catch (error) {
      await call.release(); // whatever escaped: the hold is settled (a no-op when it already was)
      // A pay-per-call quote that does not fit is refused after the unpaid request, before anything is signed.
      if (refused(error)) return refusalResponse(error as X402Error);
      throw error;
    }
  };

  async function run(call: PaidCall): Promise<Response> {
    const { url, method, headers, body } = call.request;
    const target: Target = { url, method, headers, body };
    call.privateModel?.seal(target);
    const retries = sdkRetriesItself(headers) ? 0 : ctx.maxRetries;
    for (;;) {
      const step = await attempt(call, target, retries);
      if (step.kind === 'return') return step.response;
      if (step.kind === 'fail') return call.fail(step.error);
    }
  }
}

/** Sends once and says what the answer means for the call. */
async function attempt(call: PaidCall, target: Target, retries: number): Promise<Step> {
  try {
    await authenticate(call, target.url, target.headers);
  } catch (error) {
    return fail(error);
  }
  let response: Response;
  try {
    response = await sendOnce(call, target);
  } catch (error) {
    return noAnswer(call, error, retries);
  }
  if (response.ok) {
    const settled = await settleAnswer(call, response);
    return give(call.privateModel ? await call.privateModel.answer(settled) : settled);
  }
  const step =
    (await redirected(call, target, response)) ??
    (response.status === 402 ? await paymentRequired(call, target.url, response) : undefined) ??
    (await signInRefused(call, target.url, response)) ??
    (await retryable(call, response, retries));
  if (step) return step;
  const answer = call.privateModel ? await call.privateModel.staleAttestation(target, response) : response;
  return answer instanceof Response ? errorAnswer(call, target.url, answer) : answer;
}

/**
 * Stainless-generated SDKs (OpenAI, Anthropic) mark every request with their retry count and retry on
 * their own. Then the paid fetch adds no retries of its own (one policy bounds the attempts), and a budget
 * refusal is answered as a non-retryable HTTP error instead of a thrown one the SDK would call a
 * connection error and retry.
 */
const sdkRetriesItself = (headers: Headers) => headers.has('x-stainless-retry-count');

/** Errors answered as HTTP to an SDK that retries itself: the error `type`, the status, and what refused it. */
const REFUSAL_TYPES: Partial<Record<X402Error['code'], [type: string, status: number, by: string]>> = {
  BUDGET_EXCEEDED: ['budget_exceeded', 402, 'budget'],
  POLICY_DENIED: ['policy_denied', 402, 'budget'],
  ATTESTATION_FAILED: ['attestation_failed', 502, 'attestation'],
  E2EE_FAILED: ['e2ee_failed', 502, 'e2ee'],
};

function refusalResponse(error: X402Error): Response {
  const [type, status, by] = REFUSAL_TYPES[error.code]!;
  const body = {
    error: {
      message: error.message,
      type,
      code: error.code,
      param: (error.details.limit as string | undefined) ?? null,
      details: error.details,
    },
  };
  return new Response(JSON.stringify(body), {
    status,
    statusText: status === 402 ? 'Budget Exceeded' : 'Refused',
    headers: { 'content-type': 'application/json', 'x-should-retry': 'false', 'x-venice-x402-refused': by },
  });
}
