import { type Budget, type Estimate, type Micros, usdToMicros } from '@venice-x402/core';
import { completionCapWithin, scopeChain, setsNoCompletionCap } from '@venice-x402/core/internal';
import type { PaidCall } from './paid-call.js';

/** Below this a fitted answer is too short to be useful: the call is refused instead, naming max_tokens. */
export const MIN_AUTO_MAX_TOKENS = 16;

const encoder = new TextEncoder();
const fitted = new WeakMap<PaidCall, number>();

/** The completion cap the paid fetch set on this call, if it set one. */
export const autoMaxTokensOf = (call: PaidCall): number | undefined => fitted.get(call);

/** The body field a route's completion cap goes in; undefined for routes whose cap is not ours to set. */
function capField(route: string): string | undefined {
  if (route.endsWith('/chat/completions')) return 'max_completion_tokens';
  if (route.endsWith('/responses')) return 'max_output_tokens';
  return undefined; // Anthropic /messages requires max_tokens: the caller always sets it
}

/** Whether the paid fetch may set this call's completion cap: a priced chat call that asked for none. */
export function canFitCompletion(call: PaidCall, estimate: Estimate): boolean {
  const json = call.info.json;
  return (
    call.ctx.autoMaxTokens &&
    estimate.basis === 'priced' &&
    estimate.model !== undefined &&
    capField(call.info.route) !== undefined &&
    !!json &&
    typeof json === 'object' &&
    !Array.isArray(json) &&
    // A nonsense cap (negative, NaN, 0) is the caller's choice, held at the model's maximum, never replaced.
    setsNoCompletionCap(json)
  );
}

/** The smallest limit (any window, or per request) on a scope chain, from the policy alone: no store I/O. */
export function tightestLimit(budget: Budget, scope: string | readonly string[] | undefined): Micros | undefined {
  let min: Micros | undefined;
  for (const s of scopeChain(scope)) {
    const limits = s === 'global' ? budget.policy.limits : budget.policy.scopes[s];
    for (const usd of Object.values(limits ?? {})) {
      if (typeof usd !== 'number') continue;
      const micros = usdToMicros(usd);
      if (min === undefined || micros < min) min = micros;
    }
  }
  return min;
}

/** What one call may hold right now: the tightest window left and every per-request cap of its chain. */
async function roomFor(budget: Budget, scope: string | readonly string[] | undefined): Promise<Micros | undefined> {
  const left = await budget.remaining(scope);
  let room = left === undefined ? undefined : usdToMicros(left);
  for (const s of scopeChain(scope)) {
    const usd = (s === 'global' ? budget.policy.limits : budget.policy.scopes[s])?.perRequestUsd;
    if (usd !== undefined && (room === undefined || usdToMicros(usd) < room)) room = usdToMicros(usd);
  }
  return room;
}

/**
 * Sets the largest completion cap the budget can pay for on a chat call that set none (and whose model's full cap
 * does not fit), rewriting the body that will be sent. Resolves to the new estimate, or undefined when nothing fits
 * (or nothing needed changing): then the call is held, or refused, as it was.
 */
export async function fitCompletionCap(call: PaidCall, estimate: Estimate): Promise<Estimate | undefined> {
  const { ctx, info } = call;
  const room = await roomFor(ctx.budget, ctx.scope);
  if (room === undefined || estimate.micros <= room || !estimate.model) return undefined;
  const pricing = await ctx.estimator.pricing(estimate.model);
  if (!pricing) return undefined;
  const cap = completionCapWithin(pricing, info.json, estimate.model, room, MIN_AUTO_MAX_TOKENS);
  if (cap === undefined) return undefined;
  const json = { ...info.json, [capField(info.route)!]: cap };
  call.request.body = encoder.encode(JSON.stringify(json));
  call.request.headers.delete('content-length');
  info.json = json;
  info.bodyBytes = call.request.body.length;
  fitted.set(call, cap);
  return ctx.estimator.estimate({ route: info.route, body: json, bodyBytes: info.bodyBytes });
}
