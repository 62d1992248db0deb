import { microsToUsd, usdToMicros } from '../money.js';
import type { Budget } from './budget-types.js';
import { type LedgerRow, readTransactions, type TransactionSource } from './transaction-rows.js';

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
  /** Rows refused as malformed, and rows dated ahead of this clock: left out of every figure above. */
  invalidRows: number;
  futureRows: number;
  /** False when a bound stopped the read before the list's end (or `since`): the figures cover what was read. */
  complete: boolean;
  /** With `applyRefunds`: REFUND rows of jobs whose refund the budget had not credited yet, credited now. */
  refundsApplied: number;
}

/** Credits REFUND rows of queued jobs (matched by queue id) and marks those jobs failed. Answers how many. */
async function applyJobRefunds(budget: Budget, rows: LedgerRow[], now: () => number): Promise<number> {
  const store = budget.store;
  if (!store.jobs || !store.saveJob || !store.refund) return 0;
  const refunded = new Map<string, bigint>();
  for (const row of rows)
    if (row.type === 'REFUND' && row.requestId)
      refunded.set(row.requestId, (refunded.get(row.requestId) ?? 0n) + row.micros);
  let applied = 0;
  for (const job of await store.jobs()) {
    const micros = refunded.get(job.id);
    if (micros === undefined || job.state !== 'queued') continue;
    const credited = await budget.refund({
      requestId: job.id,
      micros,
      scope: job.scopes,
      model: job.model,
      at: job.at,
    });
    await store.saveJob({ ...job, state: 'failed', refundedMicros: credited, updatedAt: now() }, 'queued');
    if (credited > 0n) applied++;
  }
  return applied;
}

/**
 * Compares the budget's per-request ledger with Venice's `/x402/transactions` (CHARGE rows summed per
 * request id, REFUND rows subtracted). Read-only: it reports, it does not rewrite the books. The list is not
 * trusted (see `readTransactions`).
 */
export async function reconcile(
  budget: Budget,
  wallet: TransactionSource,
  options: {
    toleranceUsd?: number;
    since?: Date;
    maxRows?: number;
    now?: () => number;
    /**
     * Credit REFUND rows of video and music jobs the budget still counts as charged (a job failed while no process
     * was polling it): each once, in the windows its charge was counted in. The only write reconcile makes.
     */
    applyRefunds?: boolean;
  } = {},
): Promise<ReconcileReport> {
  const tolerance = usdToMicros(options.toleranceUsd ?? 0.000001);
  const read = await readTransactions(wallet, {
    since: options.since?.getTime(),
    now: (options.now ?? Date.now)(),
    maxRows: options.maxRows,
  });
  const remote = new Map<string, bigint>();
  let charged = 0n;
  let topUps = 0n;
  let refunds = 0n;
  for (const row of read.rows) {
    if (row.type === 'TOP_UP') topUps += row.micros;
    if (row.type === 'REFUND') refunds += row.micros;
    if (row.type === 'CHARGE') charged -= row.micros;
    if (row.requestId && row.type !== 'TOP_UP')
      remote.set(row.requestId, (remote.get(row.requestId) ?? 0n) - row.micros);
  }
  const refundsApplied = options.applyRefunds ? await applyJobRefunds(budget, read.rows, options.now ?? Date.now) : 0;
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
    invalidRows: read.invalid,
    futureRows: read.future,
    complete: read.complete,
    refundsApplied,
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
