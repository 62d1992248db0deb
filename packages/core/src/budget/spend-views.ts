import { type RefusalJson, refusalRecord } from './refusal-log.js';
import {
  type CommitArgs,
  PAYMENT_LOG_SIZE,
  type PaymentRecord,
  REFUSAL_LOG_SIZE,
  type RefusalLog,
  type RequestRecord,
  SERIES_RETENTION_HOURS,
  type SeriesRow,
  type UsageKey,
  type UsageRow,
} from './store.js';
import { hourOf } from './windows.js';

/** Names are data: a chain's series cell is found by its JSON, never by a delimiter a scope could contain. */
const chainKey = (scopes: string[]) => (scopes.length === 1 ? scopes[0]! : JSON.stringify(scopes));

/** A payment log entry as kept in memory (micros as a number, like every amount here). */
export type PaymentEntry = Omit<PaymentRecord, 'micros'> & { micros: number };

interface SeriesCell {
  model: string;
  scopes: string[];
  micros: number;
  calls: number;
}

/**
 * What was spent, for reports and dashboards: by day / model / scope, per request id, per hour, and the payment
 * log. Nothing here decides whether a call may spend; that is the counters' job (`BudgetState`).
 */
export class SpendViews {
  /** day → model → scope → row */
  readonly usage = new Map<string, Map<string, Map<string, { micros: number; calls: number }>>>();
  readonly requests = new Map<string, { micros: number; ambiguous: boolean }>();
  /** hour → model → scope chain → row: spend over time, the last SERIES_RETENTION_HOURS hours. */
  readonly series = new Map<string, Map<string, Map<string, SeriesCell>>>();
  /** Pay-per-call payments and top-ups, oldest first, the last PAYMENT_LOG_SIZE. */
  readonly payments: PaymentEntry[] = [];
  /** Refused calls, oldest first, the last REFUSAL_LOG_SIZE; and how many were ever logged. */
  readonly refusals: RefusalJson[] = [];
  refusalTotal = 0;
  private seriesHour = '';

  /** Counts a commit of `micros` (its `actual`, as a number). */
  add(c: CommitArgs, micros: number) {
    const { usage } = c;
    for (const scope of usage.scopes) this.addUsage(usage.day, usage.model, scope, micros, 1);
    this.addSeries(usage.hour ?? hourOf(c.now), usage.model, usage.scopes, micros, 1);
    if (c.paymentTx) {
      this.logPayment({
        kind: 'payment',
        at: c.now,
        micros,
        tx: c.paymentTx,
        requestId: c.requestId,
        model: usage.model,
        scopes: usage.scopes,
      });
    }
    if (c.requestId) {
      const prev = this.requests.get(c.requestId);
      this.requests.set(c.requestId, {
        micros: (prev?.micros ?? 0) + micros,
        ambiguous: Boolean(c.ambiguous || prev?.ambiguous),
      });
    }
  }

  /** Takes a refunded amount off a request's usage rows, series cell and ledger entry (never below zero). */
  subtract(usage: UsageKey, hour: string, requestId: string, micros: number) {
    const less = (row: { micros: number } | undefined) => {
      if (row) row.micros = Math.max(0, row.micros - micros);
    };
    const byScope = this.usage.get(usage.day)?.get(usage.model);
    for (const scope of usage.scopes) less(byScope?.get(scope));
    less(this.series.get(hour)?.get(usage.model)?.get(chainKey(usage.scopes)));
    less(this.requests.get(requestId));
  }

  addUsage(day: string, model: string, scope: string, micros: number, calls: number) {
    let byModel = this.usage.get(day);
    if (!byModel) this.usage.set(day, (byModel = new Map()));
    let byScope = byModel.get(model);
    if (!byScope) byModel.set(model, (byScope = new Map()));
    const row = byScope.get(scope);
    if (row) {
      row.micros += micros;
      row.calls += calls;
    } else byScope.set(scope, { micros, calls });
  }

  addSeries(hour: string, model: string, scopes: string[], micros: number, calls: number) {
    if (hour !== this.seriesHour) {
      if (hour > this.seriesHour) this.pruneSeries(hour);
      this.seriesHour = hour;
    }
    let byModel = this.series.get(hour);
    if (!byModel) this.series.set(hour, (byModel = new Map()));
    let byChain = byModel.get(model);
    if (!byChain) byModel.set(model, (byChain = new Map()));
    const chain = chainKey(scopes);
    const cell = byChain.get(chain);
    if (cell) {
      cell.micros += micros;
      cell.calls += calls;
    } else byChain.set(chain, { model, scopes: [...scopes], micros, calls });
  }

  /** Drops hours that fell out of the retention window (called when a new hour starts). */
  private pruneSeries(latest: string) {
    const cutoff = hourOf(Date.parse(`${latest}:00:00Z`) - SERIES_RETENTION_HOURS * 3_600_000);
    for (const hour of this.series.keys()) if (hour < cutoff) this.series.delete(hour);
  }

  logPayment(entry: PaymentEntry) {
    this.payments.push(entry);
    if (this.payments.length > PAYMENT_LOG_SIZE) this.payments.splice(0, this.payments.length - PAYMENT_LOG_SIZE);
  }

  logRefusal(entry: RefusalJson) {
    this.refusals.push(entry);
    this.refusalTotal++;
    if (this.refusals.length > REFUSAL_LOG_SIZE) this.refusals.splice(0, this.refusals.length - REFUSAL_LOG_SIZE);
  }

  refusalLog(limit = REFUSAL_LOG_SIZE): RefusalLog {
    const latest = limit > 0 ? this.refusals.slice(-limit).reverse().map(refusalRecord) : [];
    return { total: this.refusalTotal, latest };
  }

  seriesRows(fromHour: string, toHour = '\uffff'): SeriesRow[] {
    const rows: SeriesRow[] = [];
    for (const [hour, byModel] of this.series) {
      if (hour < fromHour || hour > toHour) continue;
      for (const byChain of byModel.values()) {
        for (const c of byChain.values())
          rows.push({ hour, model: c.model, scopes: [...c.scopes], micros: BigInt(c.micros), calls: c.calls });
      }
    }
    return rows;
  }

  paymentRecords(limit = PAYMENT_LOG_SIZE): PaymentRecord[] {
    return this.payments
      .slice(-Math.max(0, limit))
      .reverse()
      .map((p) => ({ ...p, micros: BigInt(p.micros), scopes: p.scopes && [...p.scopes] }));
  }

  usageRows(): UsageRow[] {
    const rows: UsageRow[] = [];
    for (const [day, byModel] of this.usage) {
      for (const [model, byScope] of byModel) {
        for (const [scope, r] of byScope) rows.push({ scope, model, day, micros: BigInt(r.micros), calls: r.calls });
      }
    }
    return rows;
  }

  requestRecords(): Map<string, RequestRecord> {
    const out = new Map<string, RequestRecord>();
    for (const [id, r] of this.requests) out.set(id, { micros: BigInt(r.micros), ambiguous: r.ambiguous });
    return out;
  }
}
