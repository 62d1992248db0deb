import { type Micros, microsToUsd } from '../money.js';
import type { CounterBook } from './budget-counters.js';
import type { BudgetEmitter } from './budget-events.js';
import type { ChargeDetails, ChargeEvent, Reservation } from './budget-types.js';
import type { CounterState } from './store.js';

/** The `charge` and `warning` events of settled calls; built only when someone listens. */
export class SpendNotices {
  private readonly warned = new Set<string>();

  constructor(
    private readonly events: BudgetEmitter,
    private readonly book: CounterBook,
    private readonly warnAt: number,
  ) {}

  charge(reservation: Reservation, cost: Micros, details: ChargeDetails, ambiguous: boolean) {
    if (!this.events.listening('charge')) return;
    const event: ChargeEvent = {
      requestId: details.requestId,
      model: details.model ?? reservation.model,
      route: reservation.route,
      scopes: reservation.scopes,
      costUsd: microsToUsd(cost),
      costMicros: cost,
      estimateMicros: reservation.amountMicros,
      source: ambiguous ? 'estimate' : (details.source ?? 'estimate'),
      balanceRemainingUsd:
        details.balanceRemainingMicros === undefined ? undefined : microsToUsd(details.balanceRemainingMicros),
      paymentTx: details.paymentTx,
      ambiguous,
      note: ambiguous ? (details.note ?? 'outcome unknown: counted at the estimate until reconciled') : details.note,
      at: reservation.at,
    };
    this.events.emit('charge', event);
  }

  /** `warning` once per counter, when its spend reaches `warnAt` of its limit. */
  warnings(keys: readonly string[], written: Map<string, CounterState>) {
    if (!this.events.listening('warning')) return;
    for (const key of keys) {
      const known = this.book.limitOf(key);
      const spent = written.get(key)?.spent;
      if (!known?.limit || spent === undefined || this.warned.has(key)) continue;
      if (Number(spent) >= Number(known.limit) * this.warnAt) {
        this.warned.add(key);
        const { scope, window, limit } = known;
        this.events.emit('warning', { scope, window, spentUsd: microsToUsd(spent), limitUsd: microsToUsd(limit) });
      }
    }
  }
}
