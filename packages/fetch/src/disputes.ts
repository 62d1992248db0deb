import type { Budget } from '@venice-x402/core';

/**
 * Pay-per-call origins that took a payment and answered with an error. This budget pays them no more
 * until a person clears them (`clearDisputedPayee`), so a hostile server collects at most one payment.
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
  return disputed.get(budget)?.delete(new URL(origin).origin) ?? false;
}
