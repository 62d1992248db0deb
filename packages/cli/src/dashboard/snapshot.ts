import {
  type Budget,
  microsToUsd,
  type PaymentRecord,
  type RefusalRecord,
  type SeriesRow,
  type WindowStatus,
} from '@venice-x402/core';
import { dayOf, decodeCounterKey, hourOf } from '@venice-x402/core/internal';
import type { WalletView } from './wallet-status.js';

/** One stacked series of a chart: a model, or a scope chain. */
export interface Stack {
  name: string;
  usd: number[];
}

/** A window limit drawn across the chart: only the global one, the limit of the whole stack the chart draws. */
export interface LimitLine {
  scope: string;
  window: 'hourly' | 'daily';
  limitUsd: number;
}

export interface SeriesView {
  /** UTC hours (`2026-11-23T20`) or days (`2026-11-23`), oldest first. */
  labels: string[];
  byModel: Stack[];
  /** By the call's scope chain below global (`team:a / agent:x`), `(no scope)` for global-only calls. */
  byScope: Stack[];
  limits: LimitLine[];
}

export interface SpendRow {
  key: string;
  spentUsd: number;
  calls: number;
}

export interface HoldView {
  id: string;
  usd: number;
  /** Scopes it holds budget in (from its counter keys); empty when no window limit applies. */
  scopes: string[];
  expiresAt: string;
}

export interface PaymentView {
  kind: PaymentRecord['kind'];
  at: string;
  usd: number;
  tx?: string;
  requestId?: string;
  model?: string;
  scopes?: string[];
}

/** A call the budget refused, from the store's refusal log. */
export interface RefusalView {
  at: string;
  /** `model`, `route`, `perRequest`, a window name (`daily` …), or `topUp.<limit>`. */
  reason: string;
  scope?: string;
  window?: string;
  model?: string;
  route?: string;
  estimateUsd?: number;
  retryAt?: string;
}

/** Everything the page shows; also the answer of `/api/snapshot`. Amounts are USD numbers, times ISO strings. */
export interface DashboardSnapshot {
  version: 1;
  at: string;
  /** Where the budget lives (file path, or Redis without credentials). */
  store: string;
  totalUsd: number;
  calls: number;
  byModel: SpendRow[];
  byScope: SpendRow[];
  windows: (WindowStatus & { usedFraction: number })[];
  /** null when the store keeps no hourly series (a store of your own without `series`). */
  series: { hour: SeriesView; day: SeriesView } | null;
  held: {
    count: number;
    reservedUsd: number;
    reservations: HoldView[];
    /** Payments sent whose outcome is unknown: counted, waiting for reconcile. */
    ambiguous: { requestId: string; usd: number }[];
    ambiguousUsd: number;
  };
  payments: PaymentView[];
  /** Refused calls: how many the store logged, and the latest. null when the store keeps no refusal log. */
  refused: { total: number; latest: RefusalView[] } | null;
  wallet: WalletView | null;
}

export interface SnapshotOptions {
  /** Where the budget lives, for the page. */
  store: string;
  wallet?: WalletView | null;
  now?: number;
  /** Hours in the hour view (default 48) and days in the day view (default 30). */
  hours?: number;
  days?: number;
  /** At most this many reservations, ambiguous requests, payments and refusals are listed (default 100); sums cover all. */
  listLimit?: number;
  /** At most this many stacks per chart; the rest is one `other` stack (default 10). */
  maxStacks?: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const NO_SCOPE = '(no scope)';
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Reads the budget's store once and shapes it for the page. Read-only: nothing is reserved or written. The
 * totals and per-model / per-scope rows are `budget.report()`'s, so the page and `venice-x402 spend` agree.
 */
export async function buildSnapshot(budget: Budget, options: SnapshotOptions): Promise<DashboardSnapshot> {
  const now = options.now ?? Date.now();
  const listLimit = options.listLimit ?? 100;
  const hourLabels = lastHours(now, options.hours ?? 48);
  const dayLabels = lastDays(now, options.days ?? 30);
  const store = budget.store;
  const fromHour = `${dayLabels[0]}T00` < hourLabels[0]! ? `${dayLabels[0]}T00` : hourLabels[0]!;
  const [byModel, byScope, series, holds, payments, requests, refused] = await Promise.all([
    budget.report({ by: 'model' }),
    budget.report({ by: 'scope' }),
    store.series ? store.series(fromHour, hourLabels.at(-1)) : undefined,
    store.holds ? store.holds(now) : [],
    store.payments ? store.payments(listLimit) : [],
    store.requests(),
    store.refusals ? store.refusals(listLimit) : undefined,
  ]);
  const ambiguous = [...requests]
    .filter(([, r]) => r.ambiguous)
    .map(([requestId, r]) => ({ requestId, usd: microsToUsd(r.micros) }));
  const heldMicros = holds.reduce((sum, h) => sum + h.micros, 0n);
  const maxStacks = options.maxStacks ?? 10;
  return {
    version: 1,
    at: iso(now),
    store: options.store,
    totalUsd: byModel.totalUsd,
    calls: byModel.rows.reduce((n, r) => n + r.calls, 0),
    byModel: bySpend(byModel.rows.map(spendRow)),
    byScope: bySpend(byScope.rows.map(spendRow)),
    windows: byUse(byModel.windows.map((w) => ({ ...w, usedFraction: w.limitUsd > 0 ? w.spentUsd / w.limitUsd : 1 }))),
    series: series
      ? {
          hour: seriesView(series, hourLabels, (r) => r.hour, limitLines(budget, 'hourly'), maxStacks),
          day: seriesView(series, dayLabels, (r) => r.hour.slice(0, 10), limitLines(budget, 'daily'), maxStacks),
        }
      : null,
    held: {
      count: holds.length,
      reservedUsd: microsToUsd(heldMicros),
      reservations: [...holds]
        .sort((a, b) => a.expiresAt - b.expiresAt)
        .slice(0, listLimit)
        .map((h) => ({
          id: h.id,
          usd: microsToUsd(h.micros),
          scopes: [...new Set(h.keys.flatMap((k) => decodeCounterKey(k)?.scope ?? []))],
          expiresAt: iso(h.expiresAt),
        })),
      ambiguous: ambiguous.slice(0, listLimit),
      ambiguousUsd: microsToUsd(
        [...requests.values()].filter((r) => r.ambiguous).reduce((sum, r) => sum + r.micros, 0n),
      ),
    },
    payments: payments.map((p) => ({
      kind: p.kind,
      at: iso(p.at),
      usd: microsToUsd(p.micros),
      tx: p.tx,
      requestId: p.requestId,
      model: p.model,
      scopes: p.scopes,
    })),
    refused: refused ? { total: refused.total, latest: refused.latest.map(refusalView) } : null,
    wallet: options.wallet ?? null,
  };
}

const refusalView = (r: RefusalRecord): RefusalView => ({
  at: iso(r.at),
  reason: r.reason,
  scope: r.scope,
  window: r.window,
  model: r.model,
  route: r.route,
  estimateUsd: r.estimateMicros === undefined ? undefined : microsToUsd(r.estimateMicros),
  retryAt: r.retryAt === undefined ? undefined : iso(r.retryAt),
});

/** Biggest spend first (then most calls, then by name, so equal rows keep one order). */
const bySpend = (rows: SpendRow[]) =>
  rows.sort((a, b) => b.spentUsd - a.spentUsd || b.calls - a.calls || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/** The windows nearest their limit first (spent and held against the limit). */
const byUse = <W extends WindowStatus>(windows: W[]) => {
  const use = (w: W) => (w.limitUsd > 0 ? (w.spentUsd + w.reservedUsd) / w.limitUsd : Number.POSITIVE_INFINITY);
  return windows
    .map((w, i) => ({ w, i }))
    .sort((a, b) => use(b.w) - use(a.w) || a.i - b.i)
    .map(({ w }) => w);
};

const spendRow = (r: { key: string; spentUsd: number; calls: number }): SpendRow => ({
  key: r.key,
  spentUsd: r.spentUsd,
  calls: r.calls,
});

function lastHours(now: number, n: number): string[] {
  const last = Math.floor(now / HOUR_MS) * HOUR_MS;
  return Array.from({ length: n }, (_, i) => hourOf(last - (n - 1 - i) * HOUR_MS));
}

function lastDays(now: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => dayOf(now - (n - 1 - i) * DAY_MS));
}

/**
 * The global limit of one window, as a line over the stacked chart. A scope's limit is left out: drawn over the
 * stack of every scope's spend it would look breached when only the sum passed it (the Windows table shows it).
 */
function limitLines(budget: Budget, window: 'hourly' | 'daily'): LimitLine[] {
  const global = budget.policy.limits[window === 'hourly' ? 'hourlyUsd' : 'dailyUsd'];
  return global === undefined ? [] : [{ scope: 'global', window, limitUsd: global }];
}

/** Sums the series into one stack per model and per scope chain over the labels (micro-USD until the end). */
function seriesView(
  rows: SeriesRow[],
  labels: string[],
  bucketOf: (row: SeriesRow) => string,
  limits: LimitLine[],
  maxStacks: number,
): SeriesView {
  const index = new Map(labels.map((label, i) => [label, i]));
  const models = new Map<string, number[]>();
  const scopes = new Map<string, number[]>();
  const add = (stacks: Map<string, number[]>, name: string, at: number, micros: number) => {
    let values = stacks.get(name);
    if (!values) stacks.set(name, (values = labels.map(() => 0)));
    values[at]! += micros;
  };
  for (const row of rows) {
    const at = index.get(bucketOf(row));
    if (at === undefined) continue;
    const micros = Number(row.micros);
    add(models, row.model, at, micros);
    add(scopes, row.scopes.slice(1).join(' / ') || NO_SCOPE, at, micros);
  }
  return { labels, byModel: toStacks(models, maxStacks), byScope: toStacks(scopes, maxStacks), limits };
}

/** Biggest first; past `max`, the smallest are summed into `other`. */
function toStacks(stacks: Map<string, number[]>, max: number): Stack[] {
  const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const sorted = [...stacks].sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1));
  const kept = sorted.slice(0, max);
  const rest = sorted.slice(max);
  if (rest.length > 0) {
    const other = rest[0]![1].map((_, i) => rest.reduce((sum, [, values]) => sum + values[i]!, 0));
    kept.push([`other (${rest.length})`, other]);
  }
  return kept.map(([name, values]) => ({ name, usd: values.map((micros) => micros / 1e6) }));
}
