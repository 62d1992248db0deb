import { type Budget, ConfigError } from '@venice-x402/core';

/**
 * Pay-per-call origins that took a payment and answered with an error. This budget pays them no more
 * until a person clears them (`clearDisputedPayee`), so a hostile server collects at most one payment.
 * Kept per budget, not per fetch: every fetch that spends a budget refuses what that budget disputes (a new
 * fetch must not pay a server that already kept one payment), and nothing outlives the budget (a WeakMap).
 */
const disputed = new WeakMap<Budget, Map<string, string>>();

export function disputePayee(budget: Budget, origin: string, reason: string) {
  let m = disputed.get(budget);
  if (!m) disputed.set(budget, (m = new Map()));
  m.set(origin, reason);
}

export function disputeOf(budget: Budget, origin: string): string | undefined {
  return disputed.get(budget)?.get(origin);
}

/** The origins this budget refuses to pay, with why. */
export function disputedPayees(budget: Budget): ReadonlyMap<string, string> {
  return disputed.get(budget) ?? new Map();
}

/** A person looked at a disputed payee and decided it may be paid again. */
export function clearDisputedPayee(budget: Budget, origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    throw new ConfigError('clearDisputedPayee takes an origin such as https://gateway.example', { option: 'origin' });
  }
  return disputed.get(budget)?.delete(parsed.origin) ?? false;
}
