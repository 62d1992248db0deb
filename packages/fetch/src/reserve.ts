import { BudgetExceededError, type Estimate, fetchJobQuote, type Micros } from '@venice-x402/core';
import { askedCompletionCap, jobQuoteRoute, joinUrl } from '@venice-x402/core/internal';
import { autoMaxTokensOf, canFitCompletion, fitCompletionCap, tightestLimit } from './auto-max-tokens.js';
import { multipartFile } from './multipart-file.js';
import type { PaidCall } from './paid-call.js';
import { type HoldBasis, holdBasis, withHint } from './refusal-hint.js';

/** Key of what a pay-per-call origin last quoted for a route and model. Structured, not joined: names are data. */
export const quoteKey = (url: URL, route: string, model: string | undefined) =>
  JSON.stringify([url.origin, route, model ?? null]);

/**
 * Takes the call's hold before anything paid leaves the process:
 * - a Venice video or music job: exactly its quote, asked of Venice's free quote route first;
 * - another Venice call: its worst-case estimate; a chat call that set no completion cap and whose model's full
 *   cap does not fit the budget gets the largest cap that does (`autoMaxTokens`);
 * - pay-per-call: what that origin last quoted for the route; with no known price, 1 micro-USD for the unpaid
 *   request until it is answered with its quote (held before signing), never above the signing cap.
 * A refusal names the knob that sized the hold.
 */
export async function reserveFor(call: PaidCall): Promise<void> {
  const { ctx, info } = call;
  const quoteRoute = ctx.venice && info.signed ? jobQuoteRoute(info.route) : undefined;
  if (quoteRoute) {
    // Model and route rules first: a job the policy denies is not even quoted.
    await holdOrExplain(call, 0n, info.model, 'job-quote');
    let quoted: Micros;
    try {
      quoted = await fetchJobQuote({
        fetch: ctx.baseFetch,
        url: joinUrl(ctx.base!.href, quoteRoute),
        body: call.request.body ?? new Uint8Array(),
        timeoutMs: ctx.timeoutMs,
        signal: call.request.signal,
        timers: ctx.clock,
      });
    } catch (error) {
      await call.release();
      throw error;
    }
    return holdOrExplain(call, quoted, info.model, 'job-quote');
  }
  const audio = info.route.endsWith('/audio/transcriptions')
    ? multipartFile(call.request.body, call.request.headers.get('content-type'))
    : undefined;
  const estimate = await ctx.estimator.estimate({
    route: info.route,
    body: info.json,
    bodyBytes: info.bodyBytes,
    audio,
  });
  if (!ctx.venice || !info.signed) return holdPayPerCall(call, estimate);
  if (canFitCompletion(call, estimate)) return holdFitted(call, estimate);
  const asked = !!info.json && typeof info.json === 'object' && askedCompletionCap(info.json, info.route) !== undefined;
  return holdOrExplain(call, estimate.micros, estimate.model ?? info.model, holdBasis(estimate, info.route, asked));
}

async function holdOrExplain(call: PaidCall, micros: Micros, model: string | undefined, basis: HoldBasis) {
  try {
    await call.hold(micros, model);
  } catch (error) {
    throw withHint(error, basis);
  }
}

function holdPayPerCall(call: PaidCall, estimate: Estimate) {
  const { ctx, info } = call;
  const quoted = ctx.lastQuoted.get(quoteKey(call.request.url, info.route, info.model));
  // An unpaid request to a pay-per-call origin costs nothing (no credentials, no payment): with no known price
  // it goes out holding the least any payment could be (so a spent budget still refuses before any I/O), and
  // its 402 quote is held before anything is signed.
  const unpaid = estimate.basis === 'default' && !ctx.apiKey;
  let micros: Micros = quoted ?? (unpaid ? 1n : estimate.micros);
  const cap = ctx.budget.signingPolicy.maxAmountMicros;
  if (cap !== undefined && micros > cap) micros = cap;
  const basis = quoted === undefined ? holdBasis(estimate, info.route, true) : 'priced';
  return holdOrExplain(call, micros, estimate.model ?? info.model, basis);
}

/**
 * A chat call with no completion cap: held at the model's full cap when that fits; otherwise (by the policy's
 * limits, or after the store says the window has less left) at the largest cap the budget can pay for.
 */
async function holdFitted(call: PaidCall, estimate: Estimate) {
  const limit = tightestLimit(call.ctx.budget, call.ctx.scope);
  let current = estimate;
  if (limit !== undefined && current.micros > limit) current = (await fitCompletionCap(call, current)) ?? current;
  let refused: unknown;
  try {
    await call.hold(current.micros, current.model);
    return;
  } catch (error) {
    refused = error;
  }
  const refit =
    refused instanceof BudgetExceededError && autoMaxTokensOf(call) === undefined
      ? await fitCompletionCap(call, current)
      : undefined;
  if (!refit) throw withHint(refused, 'model-cap');
  return holdOrExplain(call, refit.micros, refit.model, 'model-cap');
}
