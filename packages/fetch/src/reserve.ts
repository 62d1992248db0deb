import type { Micros } from '@venice-x402/core';
import type { PaidCall } from './paid-call.js';

/** Key of what a pay-per-call origin last quoted for a route and model. */
export const quoteKey = (url: URL, route: string, model: string | undefined) =>
  JSON.stringify([url.origin, route, model ?? null]);

/**
 * Takes the call's hold before anything leaves the process: Venice calls at their worst-case estimate;
 * pay-per-call at what that origin last quoted for the route (the quote itself on a first call, held
 * before signing), never above the signing cap since nothing above it is ever signed.
 */
export async function reserveFor(call: PaidCall): Promise<void> {
  const { ctx, info } = call;
  const estimate = await ctx.estimator.estimate({ route: info.route, body: info.json, bodyBytes: info.bodyBytes });
  let micros: Micros = estimate.micros;
  if (!ctx.venice) {
    const quoted = ctx.lastQuoted.get(quoteKey(call.request.url, info.route, info.model));
    if (quoted !== undefined) micros = quoted;
    const cap = ctx.budget.signingPolicy.maxAmountMicros;
    if (cap !== undefined && micros > cap) micros = cap;
  }
  await call.hold(micros, estimate.model ?? info.model);
}
