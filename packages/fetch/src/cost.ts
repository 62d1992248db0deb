import { type Estimator, MICROS_PER_USD, type Micros, type Reservation, usdToMicros } from '@venice-x402/core';
import { jobQuoteRoute } from '@venice-x402/core/internal';
import type { BodyFacts, SseOutcome } from './settle.js';

export type CostSource = 'cost' | 'usage' | 'payment' | 'partial' | 'estimate';

/** Tokens × USD per million tokens, which is micro-USD, rounded up. */
export const tokenMicros = (units: number, usdPerMillion = 0) => productMicros(units, usdPerMillion);

/**
 * `a × b` micro-USD rounded up, for finite `a` and `b`. A product past a double's range (a hostile usage or
 * duration figure) is still an amount, one the budget does not believe (it keeps the hold, ambiguous): never a throw
 * that would lose a paid answer or leave its call unsettled.
 */
function productMicros(a: number, b: number): Micros {
  const product = a * b;
  return Number.isFinite(product) ? BigInt(Math.ceil(product)) : BigInt(Math.ceil(a)) * BigInt(Math.ceil(b));
}

/**
 * What a finished answer cost: the pay-per-call amount, else `cost.usd` in the body, else a queued job's quote,
 * else usage × price, else the hold (never zero for an answer we cannot price).
 */
export async function actualCost(
  estimator: Estimator,
  held: Reservation,
  body: BodyFacts,
  facts: { model?: string; paygMicros?: Micros },
  request: any,
): Promise<{ micros: Micros; source: CostSource }> {
  if (facts.paygMicros !== undefined) return { micros: facts.paygMicros, source: 'payment' };
  if (body.costMicros !== undefined) return { micros: body.costMicros, source: 'cost' };
  // A queued video or music job is charged its quote when Venice accepts it, and the hold is that quote.
  if (jobQuoteRoute(held.route)) return { micros: held.amountMicros, source: 'cost' };
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
    return { micros: usdToMicros(pricing.image, 'ceil') * BigInt(body.images), source: 'usage' };
  if (pricing?.perAudioSecond !== undefined && body.audioSeconds !== undefined) {
    const usd = body.audioSeconds * pricing.perAudioSecond;
    const micros = Number.isFinite(usd)
      ? usdToMicros(usd, 'ceil')
      : productMicros(body.audioSeconds, pricing.perAudioSecond) * MICROS_PER_USD;
    return { micros, source: 'usage' };
  }
  if (pricing?.input !== undefined && held.route.endsWith('/audio/speech') && typeof request?.input === 'string') {
    return { micros: tokenMicros(request.input.length, pricing.input), source: 'usage' };
  }
  return { micros: held.amountMicros, source: 'estimate' };
}

/** A stream cut mid-way: bill what the server produced (prompt + streamed tokens), not zero, not the whole hold. */
export async function partialCost(
  estimator: Estimator,
  held: Reservation,
  outcome: SseOutcome,
  facts: { model?: string; promptTokens: number },
): Promise<Micros> {
  const pricing = await estimator.pricing(outcome.model ?? facts.model ?? held.model);
  const promptTokens = outcome.usage?.promptTokens ?? facts.promptTokens;
  const micros = pricing
    ? tokenMicros(promptTokens, pricing.input) + tokenMicros(outcome.streamedTokens, pricing.output)
    : held.amountMicros;
  return micros > held.amountMicros ? held.amountMicros : micros;
}

/** The server's view of prompt size: message text ≈ 4 characters per token (used for cut streams only). */
export function promptTokensOf(json: any): number {
  const text = (Array.isArray(json?.messages) ? json.messages : [])
    .map((m: any) => (typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '')))
    .join('\n');
  return Math.max(1, Math.ceil(text.length / 4)) + (json?.tools ? Math.ceil(JSON.stringify(json.tools).length / 4) : 0);
}
