import { reconcile as reconcileLedger } from '@venice-x402/core';
import { budgetLocation, type GlobalOptions, loadBudget, loadWallet } from '../context.js';
import { print, table, UsageError, usd } from '../output.js';

export async function spend(opts: GlobalOptions, by: string | undefined) {
  const dimension = (by ?? 'scope') as 'scope' | 'model' | 'day';
  if (!['scope', 'model', 'day'].includes(dimension)) throw new UsageError('--by must be scope, model or day');
  const budget = await loadBudget(opts);
  const report = await budget.report({ by: dimension });
  await budget.close();
  print(opts.json, report, () =>
    [
      table(report.rows.map((r) => ({ [dimension]: r.key, spent: usd(r.spentUsd), calls: r.calls }))),
      '',
      `total ${usd(report.totalUsd)}  (ledger: ${budgetLocation(opts)})`,
      ...(report.windows.length
        ? [
            '',
            table(
              report.windows.map((w) => ({
                scope: w.scope,
                window: w.window,
                spent: usd(w.spentUsd),
                limit: usd(w.limitUsd, 2),
                left: usd(w.remainingUsd),
              })),
            ),
          ]
        : []),
    ].join('\n'),
  );
}

export async function reconcile(opts: GlobalOptions) {
  const budget = await loadBudget(opts);
  const wallet = loadWallet(opts);
  const report = await reconcileLedger(budget, wallet);
  await budget.close();
  print(opts.json, report, () =>
    [
      `matched requests     ${report.matched}`,
      `ledger total         ${usd(report.ledgerTotalUsd)}`,
      `Venice charges       ${usd(report.veniceChargedUsd)}  (refunds ${usd(report.veniceRefundsUsd)}, top-ups ${usd(report.veniceTopUpsUsd, 2)})`,
      ...(report.mismatched.length ? ['', 'different amounts:', table(report.mismatched.map((d) => ({ ...d })))] : []),
      ...(report.missingLocally.length
        ? ['', 'charged by Venice, unknown locally:', table(report.missingLocally.map((d) => ({ ...d })))]
        : []),
      ...(report.missingRemotely.length
        ? ['', 'counted locally, not charged by Venice:', table(report.missingRemotely.map((d) => ({ ...d })))]
        : []),
    ].join('\n'),
  );
  return report.mismatched.length + report.missingLocally.length + report.missingRemotely.length === 0 ? 0 : 1;
}
