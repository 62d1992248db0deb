import { type Budget, reconcile, type Wallet } from '@venice-x402/core';

export interface ReconcileDifferenceView {
  requestId: string;
  kind: 'different amount' | 'unknown locally' | 'not charged by Venice';
  ledgerUsd: number;
  veniceUsd: number;
  ambiguous: boolean;
}

/** What the page shows about the wallet: public facts only (address, balances, Venice's rows), never the key. */
export interface WalletView {
  address: string;
  /** ISO time of the last refresh; empty while the first one runs. */
  checkedAt: string;
  /** True until the first refresh answered. */
  pending?: boolean;
  balanceUsd?: number;
  canConsume?: boolean;
  diemBalanceUsd?: number;
  reconcile?: {
    matched: number;
    ledgerTotalUsd: number;
    veniceChargedUsd: number;
    veniceTopUpsUsd: number;
    veniceRefundsUsd: number;
    differenceCount: number;
    differences: ReconcileDifferenceView[];
  };
  /** Venice's latest TOP_UP rows (Venice reports no transaction hash for them). */
  topUps?: { at: string; usd: number; id: string }[];
  /** Why the last refresh failed (our typed errors' messages carry no secrets). */
  error?: string;
}

export interface WalletStatus {
  /** The latest view; undefined until the first refresh finishes. */
  readonly view: WalletView | undefined;
  /** Bumped whenever the view changes. */
  readonly version: number;
  refresh(): Promise<void>;
  /** Refreshes when the last refresh started more than `ms` ago (the ledger changed: reconcile again, gently). */
  refreshIfOlder(ms: number): void;
  stop(): void;
}

/**
 * Venice's balance and the reconcile of the ledger against its transactions, refreshed every `refreshMs`
 * (default 60 s: Venice allows 30 balance and 20 transaction reads a minute per wallet).
 */
export function watchWallet(budget: Budget, wallet: Wallet, options: { refreshMs?: number } = {}): WalletStatus {
  let view: WalletView | undefined;
  let version = 0;
  let running: Promise<void> | undefined;
  let startedAt = 0;
  const refresh = () =>
    (running ??= (async () => {
      startedAt = Date.now();
      const next: WalletView = { address: wallet.address, checkedAt: new Date().toISOString() };
      try {
        const [balance, report, recent] = await Promise.all([
          wallet.balance(),
          reconcile(budget, wallet),
          wallet.transactions({ limit: 50 }),
        ]);
        next.balanceUsd = balance.balanceUsd;
        next.canConsume = balance.canConsume;
        next.diemBalanceUsd = balance.diemBalanceUsd;
        const differences: ReconcileDifferenceView[] = [
          ...report.mismatched.map((d) => ({ ...d, kind: 'different amount' as const })),
          ...report.missingLocally.map((d) => ({ ...d, kind: 'unknown locally' as const })),
          ...report.missingRemotely.map((d) => ({ ...d, kind: 'not charged by Venice' as const })),
        ];
        next.reconcile = {
          matched: report.matched,
          ledgerTotalUsd: report.ledgerTotalUsd,
          veniceChargedUsd: report.veniceChargedUsd,
          veniceTopUpsUsd: report.veniceTopUpsUsd,
          veniceRefundsUsd: report.veniceRefundsUsd,
          differenceCount: differences.length,
          differences: differences.slice(0, 100),
        };
        next.topUps = recent.transactions
          .filter((t) => t.type === 'TOP_UP')
          .map((t) => ({ at: t.createdAt, usd: t.amount, id: t.id }));
      } catch (error) {
        next.error = String((error as Error)?.message ?? error).slice(0, 300);
      }
      view = next;
      version++;
    })().finally(() => {
      running = undefined;
    }));
  const timer = setInterval(() => void refresh(), options.refreshMs ?? 60_000);
  timer.unref();
  return {
    get view() {
      return view;
    },
    get version() {
      return version;
    },
    refresh,
    refreshIfOlder(ms) {
      if (Date.now() - startedAt > ms) void refresh();
    },
    stop: () => clearInterval(timer),
  };
}
