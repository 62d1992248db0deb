import { BudgetExceededError, type Estimate } from '@venice-x402/core';

/** What the caller can change when a hold is refused: the knob that set its size. */
export type HoldBasis = 'completion-cap' | 'model-cap' | 'default-estimate' | 'job-quote' | 'priced';

const HINTS: Record<HoldBasis, string | undefined> = {
  'completion-cap': 'lower max_tokens (AI SDK: maxOutputTokens; LangChain: maxTokens) to hold less',
  'model-cap':
    "no max_tokens was set, so the model's whole completion cap is held: set max_tokens (AI SDK: maxOutputTokens; LangChain: maxTokens) to hold less",
  'default-estimate':
    "this call's price is unknown, so the policy's defaultEstimateUsd is held: lower defaultEstimateUsd or raise the limit",
  'job-quote': "the job's quoted price is held: a shorter or smaller job costs less",
  priced: undefined,
};

/** Which knob sized a hold, from the estimate and whether the request asked for a completion cap. */
export function holdBasis(estimate: Estimate, route: string, askedCap: boolean): HoldBasis {
  if (estimate.basis === 'default') return 'default-estimate';
  if (/\/(chat\/completions|responses|messages)$/.test(route)) return askedCap ? 'completion-cap' : 'model-cap';
  return 'priced';
}

/** A budget refusal whose message also names the knob that would make the call fit. */
export function withHint(error: unknown, basis: HoldBasis): unknown {
  const hint = HINTS[basis];
  if (!(error instanceof BudgetExceededError) || !hint) return error;
  const refused = new BudgetExceededError(`${error.message}; ${hint}`, { ...error.details, hint, basis });
  refused.stack = error.stack;
  return refused;
}
