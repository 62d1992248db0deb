import { BudgetExceededError } from '../errors.js';
import { usdToMicros } from '../money.js';
import type { VeniceTransaction } from '../venice/schemas.js';
import { type Budget, createBudget } from './budget.js';

export interface RestoreReport {
  /** Venice charges written into the budget's windows. */
  restored: number;
  restoredUsd: number;
  /** Charges the budget already knew (by request id): left as they are. */
  known: number;
  /** Charges that could not be written (the window was already over its limit). */
  skipped: number;
}

/** Start of the current UTC month: the longest window that resets. */
const monthStart = (now: number) => {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
};

/**
 * Rebuilds a wiped (or new) store's current windows from Venice's own record of the wallet's charges
 * (`/x402/transactions`): each CHARGE row the store does not know by request id is committed into the windows
 * of the moment Venice charged it, so hourly, daily and monthly limits count it where it belongs. Idempotent: run
 * it again and nothing is counted twice. Rows without a request id cannot be matched and are not restored.
 */
export async function restoreFromVenice(
  budget: Budget,
  wallet: { allTransactions(pageSize?: number): AsyncIterable<VeniceTransaction> },
  options: { since?: Date; scope?: string; now?: () => number } = {},
): Promise<RestoreReport> {
  const now = options.now ?? Date.now;
  const since = options.since ?? monthStart(now());
  const charges = new Map<string, { micros: bigint; at: number; model?: string }>();
  for await (const tx of wallet.allTransactions(100)) {
    const at = Date.parse(tx.createdAt);
    if (at < since.getTime()) break; // newest first
    if (!tx.requestId || (tx.type !== 'CHARGE' && tx.type !== 'REFUND')) continue;
    const entry = charges.get(tx.requestId) ?? { micros: 0n, at, model: tx.modelId ?? undefined };
    entry.micros -= usdToMicros(tx.amount); // CHARGE rows are negative, REFUND rows positive
    entry.at = Math.min(entry.at, at);
    charges.set(tx.requestId, entry);
  }
  const known = await budget.store.requests();
  // The same policy and store, on a clock set to each charge's time: its windows are the ones it belongs to.
  let clock = now();
  const past = createBudget(budget.policy, { store: budget.store, now: () => clock });
  const report: RestoreReport = { restored: 0, restoredUsd: 0, known: 0, skipped: 0 };
  for (const [requestId, charge] of [...charges].sort((a, b) => a[1].at - b[1].at)) {
    if (known.has(requestId)) {
      report.known++;
      continue;
    }
    if (charge.micros <= 0n) continue;
    clock = charge.at;
    try {
      const hold = await past.reserve({ estimateMicros: 0n, scope: options.scope, model: charge.model });
      await past.commit(hold, charge.micros, { requestId, model: charge.model, note: 'restored from Venice' });
      report.restored++;
      report.restoredUsd = Math.round((report.restoredUsd + Number(charge.micros) / 1e6) * 1e6) / 1e6;
    } catch (error) {
      if (!(error instanceof BudgetExceededError)) throw error; // a store problem is not a skipped row
      report.skipped++;
    }
  }
  return report;
}
