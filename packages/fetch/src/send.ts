import { TimeoutError, X402Error } from '@venice-x402/core';
import { transportFollowedRedirect } from './one-hop.js';
import { withoutOurHeaders } from './outcome.js';
import type { PaidCall } from './paid-call.js';

/** Where and what one attempt sends; a followed redirect changes it. */
export interface Target {
  url: URL;
  method: string;
  headers: Headers;
  body: Uint8Array | undefined;
}

/**
 * One attempt on the wire: within the wallet's admission limit, with the call's timeout, and never following a
 * redirect on its own (redirects are judged by `redirects.ts`, so no credential leaves). The slot and the timeout
 * are the call's from the moment the request goes out (`PaidCall.beginAttempt`). The answer comes back without
 * any header in our namespace (a server cannot forge what a call cost).
 */
export async function sendOnce(call: PaidCall, target: Target): Promise<Response> {
  const { ctx, request } = call;
  const { clock } = ctx;
  const controller = new AbortController();
  const remaining = ctx.timeoutMs - (clock.now() - call.startedAt);
  const timer = clock.setTimeout(
    () => controller.abort(new TimeoutError(`No answer from ${call.info.route} within ${ctx.timeoutMs} ms`)),
    Math.max(0, remaining),
    { unref: true },
  );
  // The caller's signal aborts this attempt through a listener held until the answer is done: cheaper than
  // AbortSignal.any (≈ 2 vs 15 µs; SDKs pass a signal with every request) and nothing outlives the call.
  const signal = controller.signal;
  let unlink = () => {};
  const callerSignal = request.signal;
  if (callerSignal?.aborted) controller.abort(callerSignal.reason);
  else if (callerSignal) {
    const forward = () => controller.abort(callerSignal.reason);
    callerSignal.addEventListener('abort', forward, { once: true });
    unlink = () => callerSignal.removeEventListener('abort', forward);
  }
  let acquired: () => void;
  try {
    acquired = ctx.admission && ctx.venice ? await ctx.admission.acquire(ctx.maxInFlight, signal) : () => {};
  } catch (error) {
    clock.clearTimeout(timer);
    unlink();
    throw error;
  }
  call.beginAttempt(() => {
    unlink();
    acquired();
  }, timer);
  try {
    const response = await ctx.baseFetch(target.url.href, {
      method: target.method,
      headers: target.headers,
      // A fresh copy each attempt: a transport may detach the buffer it was given.
      body: target.body ? (target.body.slice() as BodyInit) : undefined,
      signal,
      redirect: 'manual',
    });
    if (response.redirected) {
      await response.body?.cancel().catch(() => {});
      throw transportFollowedRedirect();
    }
    if (!response.ok) call.notBilled(); // Venice bills what it answers with 2xx
    return withoutOurHeaders(response);
  } catch (error) {
    call.endAttempt();
    // No answer at all (refused, reset): not billed, safe to send again. Given up on (aborted, timed out), or an
    // answer no Response can carry (a ProtocolError): the server may have billed it, so that stays unknown.
    if (!signal.aborted && !(error instanceof X402Error)) call.notBilled();
    if (signal.aborted && !request.signal?.aborted) throw signal.reason;
    throw error;
  }
}
