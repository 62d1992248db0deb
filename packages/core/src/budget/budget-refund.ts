import { ConfigError } from '../errors.js';
import { type Micros, microsToUsd } from '../money.js';
import type { CounterBook } from './budget-counters.js';
import type { BudgetEmitter } from './budget-events.js';
import type { RefundRequest } from './budget-types.js';
import { GLOBAL_SCOPE } from './scope-names.js';
import type { BudgetStore } from './store.js';
import { dayOf, hourOf, scopeChain } from './windows.js';

const MAX_REFUND = 10n ** 15n; // $1bn in micro-USD, as every amount of a budget

/** Credits a refunded charge once per request id, in the windows its charge was counted in (`budget.refund`). */
export async function creditRefund(
  { store, book, events, now }: { store: BudgetStore; book: CounterBook; events: BudgetEmitter; now: () => number },
  { requestId, micros, scope, model = 'unknown', at }: RefundRequest,
): Promise<Micros> {
  if (!store.refund) throw new ConfigError('This budget store cannot credit refunds: it has no refund operation');
  if (typeof requestId !== 'string' || !requestId || typeof micros !== 'bigint' || micros < 0n || micros > MAX_REFUND)
    throw new ConfigError('A refund needs a request id and a non-negative integer amount of micro-USD', {
      amount: String(micros),
    });
  if (!Number.isFinite(at)) throw new ConfigError('A refund needs the time its charge was held (`at`)');
  // A charge's `scopes` (global first) or a call's scope.
  const chain = Array.isArray(scope) && scope[0] === GLOBAL_SCOPE ? scope.slice(1) : scope;
  const scopes = scopeChain(chain);
  const credited = await store.refund({
    requestId,
    micros,
    keys: book.at(scopes, at).keys,
    usage: { scopes, model, day: dayOf(at), hour: hourOf(at) },
    now: now(),
  });
  if (credited > 0n)
    events.emit('refund', { requestId, model, scopes, refundUsd: microsToUsd(credited), refundMicros: credited });
  return credited;
}
