import { microsToUsd, usdToMicros } from '../money.js';
import type { VeniceTransaction } from '../venice/schemas.js';
import type { Budget } from './budget.js';

export interface ReconcileDifference {
  requestId: string;
  ledgerUsd: number;
  veniceUsd: number;
  ambiguous: boolean;
}

export interface ReconcileReport {
  matched: number;
  /** Same request, different amounts (e.g. a cut stream estimated locally). */
  mismatched: ReconcileDifference[];
  /** Charged by Venice, unknown to the budget (another client of the same wallet, or a lost commit). */
  missingLocally: ReconcileDifference[];
  /** Counted by the budget, never charged by Venice (refunded, failed, or an ambiguous call that did not land). */
  missingRemotely: ReconcileDifference[];
  ledgerTotalUsd: number;
  veniceChargedUsd: number;
  veniceTopUpsUsd: number;
  veniceRefundsUsd: number;
}

/**
 * Compares the budget's per-request ledger with Venice's `/x402/transactions` (CHARGE rows summed per
 * request id, REFUND rows subtracted). Read-only: it reports, it does not rewrite the books.
 */
export async function reconcile(
  budget: Budget,
  wallet: { allTransactions(pageSize?: number): AsyncIterable<VeniceTransaction> },
  options: { toleranceUsd?: number; since?: Date } = {},
): Promise<ReconcileReport> {
  const tolerance = usdToMicros(options.toleranceUsd ?? 0.000001);
  const remote = new Map<string, bigint>();
  let charged = 0n;
  let topUps = 0n;
  let refunds = 0n;
  for await (const tx of wallet.allTransactions(100)) {
    if (options.since && Date.parse(tx.createdAt) < options.since.getTime()) break; // newest first
    const amount = usdToMicros(tx.amount);
    if (tx.type === 'TOP_UP') topUps += amount;
    if (tx.type === 'REFUND') refunds += amount;
    if (tx.type === 'CHARGE') charged -= amount;
    if (tx.requestId && (tx.type === 'CHARGE' || tx.type === 'REFUND')) {
      remote.set(tx.requestId, (remote.get(tx.requestId) ?? 0n) - amount);
    }
  }
  const local = await budget.store.requests();
  const report: ReconcileReport = {
    matched: 0,
    mismatched: [],
    missingLocally: [],
    missingRemotely: [],
    ledgerTotalUsd: 0,
    veniceChargedUsd: microsToUsd(charged),
    veniceTopUpsUsd: microsToUsd(topUps),
    veniceRefundsUsd: microsToUsd(refunds),
  };
  let ledgerTotal = 0n;
  for (const [requestId, record] of local) {
    ledgerTotal += record.micros;
    const theirs = remote.get(requestId);
    const diff = {
      requestId,
      ledgerUsd: microsToUsd(record.micros),
      veniceUsd: microsToUsd(theirs ?? 0n),
      ambiguous: record.ambiguous,
    };
    if (theirs === undefined) {
      if (record.micros > 0n) report.missingRemotely.push(diff);
      else report.matched++;
    } else if ((theirs > record.micros ? theirs - record.micros : record.micros - theirs) <= tolerance)
      report.matched++;
    else report.mismatched.push(diff);
  }
  for (const [requestId, micros] of remote) {
    if (!local.has(requestId) && micros !== 0n) {
      report.missingLocally.push({ requestId, ledgerUsd: 0, veniceUsd: microsToUsd(micros), ambiguous: false });
    }
  }
  report.ledgerTotalUsd = microsToUsd(ledgerTotal);
  return report;
}
