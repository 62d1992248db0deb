import { microsToUsd } from '../money.js';
import type { CounterBook } from './budget-counters.js';
import type { BudgetReport, BudgetReportJson, ReportRow, WindowStatus } from './budget-types.js';
import { GLOBAL_SCOPE } from './policy.js';
import type { BudgetStore } from './store.js';

export type ReportBy = BudgetReport['by'];

/** Spend by scope, model or day, and every limited window's status now. Serialises: `toJSON` writes micros as strings. */
export async function buildReport(
  store: BudgetStore,
  book: CounterBook,
  limitedScopes: string[],
  by: ReportBy,
  t: number,
): Promise<BudgetReport> {
  const rows = new Map<string, ReportRow>();
  let total = 0n;
  for (const u of await store.usage()) {
    if (by !== 'scope' && u.scope !== GLOBAL_SCOPE) continue; // every call is in global exactly once
    if (u.scope === GLOBAL_SCOPE) total += u.micros;
    const key = by === 'scope' ? u.scope : by === 'model' ? u.model : u.day;
    const row = rows.get(key) ?? { key, spentUsd: 0, spentMicros: 0n, calls: 0 };
    row.spentMicros += u.micros;
    row.calls += u.calls;
    row.spentUsd = microsToUsd(row.spentMicros);
    rows.set(key, row);
  }
  const counters = book.at(limitedScopes, t);
  const state = await store.counters(counters.keys, t);
  const windows: WindowStatus[] = counters.limits.map((c) => {
    const { scope, window, id } = book.limitOf(c.key)!;
    const s = state.get(c.key)!;
    const left = c.limit - s.spent - s.reserved;
    return {
      scope,
      window,
      id,
      spentUsd: microsToUsd(s.spent),
      reservedUsd: microsToUsd(s.reserved),
      limitUsd: microsToUsd(c.limit),
      remainingUsd: microsToUsd(left < 0n ? 0n : left),
    };
  });
  const report = {
    by,
    rows: [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
    totalUsd: microsToUsd(total),
    totalMicros: total,
    windows,
  };
  // Not enumerable: the report compares and spreads as plain data.
  Object.defineProperty(report, 'toJSON', { value: () => reportJson(report), enumerable: false });
  return report as BudgetReport;
}

function reportJson(report: Omit<BudgetReport, 'toJSON'>): BudgetReportJson {
  return {
    ...report,
    rows: report.rows.map((r) => ({ ...r, spentMicros: r.spentMicros.toString() })),
    totalMicros: report.totalMicros.toString(),
  };
}
