import { randomUUID } from 'node:crypto';
import { microsToUsd } from '../money.js';
import { CounterBook } from './budget-counters.js';
import type { Budget } from './budget-types.js';
import { PolicyGate } from './policy-gate.js';
import { readTransactions, type TransactionSource } from './transaction-rows.js';
import { dayOf, hourOf, scopeChain } from './windows.js';

export interface RestoreReport {
  /** Venice charges written into the budget's windows. */
  restored: number;
  restoredUsd: number;
  /** Charges the budget already knew (by request id): left as they are. */
  known: number;
  /** Rows not written: `invalid` + `future`. */
  skipped: number;
  /** Rows refused as malformed (a bad date, an amount of the wrong sign). */
  invalid: number;
  /** Rows dated ahead of this clock: refused, never written. */
  future: number;
  /** False when a bound stopped the read before the start of the month: restore again with a larger `maxRows`. */
  complete: boolean;
}

/** Start of the current UTC month: the longest window that resets. */
const monthStart = (now: number) => {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
};

/**
 * Rebuilds a wiped (or new) store's current windows from Venice's own record of the wallet's charges
 * (`/x402/transactions`): each CHARGE row the store does not know by request id is written into the windows of the
 * moment Venice charged it, so hourly, daily and monthly limits count it where it belongs. History is fact: it is
 * written whatever the limits say. Idempotent: run it again and nothing is counted twice. Rows without a request
 * id cannot be matched and are not restored. The list is not trusted (see `readTransactions`).
 */
export async function restoreFromVenice(
  budget: Budget,
  wallet: TransactionSource,
  options: { since?: Date; scope?: string; now?: () => number; maxRows?: number } = {},
): Promise<RestoreReport> {
  const now = options.now ?? Date.now;
  const t = now();
  const since = options.since ?? monthStart(t);
  const scopes = scopeChain(options.scope);
  const read = await readTransactions(wallet, { since: since.getTime(), now: t, maxRows: options.maxRows });
  const charges = new Map<string, { micros: bigint; at: number; model?: string }>();
  for (const row of read.rows) {
    if (!row.requestId || row.type === 'TOP_UP') continue;
    const entry = charges.get(row.requestId) ?? { micros: 0n, at: row.at, model: row.modelId };
    entry.micros -= row.micros; // CHARGE rows are negative, REFUND rows positive
    entry.at = Math.min(entry.at, row.at);
    charges.set(row.requestId, entry);
  }
  const known = await budget.store.requests();
  const gate = new PolicyGate(budget.policy);
  const book = new CounterBook((scope) => gate.limitsFor(scope));
  const report: RestoreReport = {
    restored: 0,
    restoredUsd: 0,
    known: 0,
    skipped: read.invalid + read.future,
    invalid: read.invalid,
    future: read.future,
    complete: read.complete,
  };
  let restored = 0n;
  for (const [requestId, charge] of [...charges].sort((a, b) => a[1].at - b[1].at)) {
    if (known.has(requestId)) {
      report.known++;
      continue;
    }
    if (charge.micros <= 0n) continue;
    // A hold of nothing on no counter (so no limit can refuse it), settled into the charge's own windows.
    const id = `restore-${randomUUID()}`;
    await budget.store.reserve({ id, amount: 0n, counters: [], expiresAt: t + 60_000, now: t });
    const model = charge.model ?? 'unknown';
    await budget.store.commit({
      id,
      actual: charge.micros,
      keys: book.at(scopes, charge.at).keys,
      usage: { scopes, model, day: dayOf(charge.at), hour: hourOf(charge.at) },
      requestId,
      now: t,
    });
    report.restored++;
    restored += charge.micros;
  }
  report.restoredUsd = microsToUsd(restored);
  return report;
}
