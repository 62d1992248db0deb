import { AuthError, NetworkError, X402Error } from '@venice-x402/core';
import { errorText, findSiwxChallenge, readJson } from '@venice-x402/core/internal';
import { stripCredentials } from './authenticate.js';
import { pause } from './clock.js';
import { disputePayee } from './disputes.js';
import type { PaidCall } from './paid-call.js';
import { judgeRedirect } from './redirects.js';
import { retryDelayMs } from './retry.js';
import type { Target } from './send.js';

/**
 * What one answer means for the call: send again (the target may have changed), hand a response to the caller,
 * or fail with an error (the run loop settles the hold and throws). Each kind of answer has its own handler and
 * its own limit: redirects (5, `redirects.ts`), 402 (one top-up or one payment, `payment-required.ts`), 401 (one
 * re-sign), and retries of 429 / 5xx / no answer (`maxRetries`, together).
 */
export type Step = { kind: 'resend' } | { kind: 'return'; response: Response } | { kind: 'fail'; error: unknown };

export const resend: Step = { kind: 'resend' };
export const fail = (error: unknown): Step => ({ kind: 'fail', error });
export const give = (response: Response): Step => ({ kind: 'return', response });

const SIWX_RETRY_CODES = new Set([
  'X402_SIGN_IN_EXPIRED',
  'X402_SIGN_IN_NONCE_REUSED',
  'X402_SIGN_IN_FUTURE_TIMESTAMP',
  'X402_SIGN_IN_TIMESTAMP_MISMATCH',
]);

/** A 3xx: followed (same site, re-signed) or handed back; undefined when the answer is not a redirect. */
export async function redirected(call: PaidCall, target: Target, response: Response): Promise<Step | undefined> {
  const redirect = judgeRedirect(call, target.url, response);
  if (redirect.kind === 'none') return undefined;
  call.endAttempt();
  if (redirect.kind === 'return') {
    if (call.paymentSent) disputePayee(call.ctx.budget, target.url.origin, 'redirected elsewhere after a payment');
    await call.release('redirected: the payment, if any, stays counted until reconciled');
    return give(response); // the 3xx goes back to the caller; our credentials never follow it
  }
  await response.body?.cancel().catch(() => {});
  stripCredentials(call, target.headers);
  call.redirects++;
  target.url = redirect.url;
  target.method = redirect.method;
  if (redirect.dropBody) {
    target.body = undefined;
    target.headers.delete('content-type');
    target.headers.delete('content-length');
  }
  return resend;
}

/** A Venice 401 for an expired or reused sign-in: re-signed once. Undefined when it is not that. */
export async function signInRefused(call: PaidCall, url: URL, response: Response): Promise<Step | undefined> {
  const { ctx } = call;
  if (response.status !== 401 || !ctx.venice || !ctx.wallet || call.resignedForAuth) return undefined;
  const answer = await readJson(response);
  call.endAttempt();
  const challenge = findSiwxChallenge(answer);
  if (challenge) ctx.wallet.applySignInChallenge(challenge, url);
  const code = (answer as any)?.code as string | undefined;
  if (code && SIWX_RETRY_CODES.has(code)) {
    call.resignedForAuth = true;
    return resend;
  }
  return fail(new AuthError(errorText(answer, 'Sign-in refused'), { status: 401, serverCode: code }));
}

/** 429 / 5xx: waited out (Retry-After, bounded) and sent again while retries are left. */
export async function retryable(call: PaidCall, response: Response, limit: number): Promise<Step | undefined> {
  if (!(response.status === 429 || response.status >= 500) || call.retries >= limit) return undefined;
  const { ctx } = call;
  const delay = retryDelayMs(response, call.retries, ctx.maxRetryDelayMs, ctx.clock.now());
  await response.body?.cancel().catch(() => {});
  call.endAttempt();
  return waitAndResend(call, delay);
}

/** No answer at all (refused, reset): Venice bills only what it answers, so it is sent again while retries are left. */
export async function noAnswer(call: PaidCall, error: unknown, limit: number): Promise<Step> {
  if (isAbort(error) || call.request.signal?.aborted || error instanceof X402Error) return fail(error);
  if (call.retries < limit) return waitAndResend(call, 100 * 2 ** call.retries + Math.random() * 50);
  return fail(
    new NetworkError(`Request to ${call.info.route} failed after ${call.retries + 1} attempts`, { cause: error }),
  );
}

/** Any other answer that is not a 2xx: the caller's SDK reports the API error as usual. */
export async function errorAnswer(call: PaidCall, url: URL, response: Response): Promise<Step> {
  call.endAttempt();
  if (call.paymentSent) disputePayee(call.ctx.budget, url.origin, `answered ${response.status} after a payment`);
  await call.release(`answered ${response.status} after a payment: counted until reconciled`);
  return give(response);
}

async function waitAndResend(call: PaidCall, ms: number): Promise<Step> {
  call.retries++;
  const signal = call.request.signal;
  if (await pause(call.ctx.clock, ms, signal)) return resend;
  return fail(signal?.reason);
}

const isAbort = (error: unknown) => (error as Error)?.name === 'AbortError';
