import { BudgetExceededError, markError, X402Error } from '../errors.js';
import { formatUsd, type Micros, microsToUsd } from '../money.js';
import type { RefusedEvent } from './budget-types.js';
import { decodeCounterKey } from './counter-key.js';
import { allowedBy } from './glob.js';
import { type BudgetPolicy, GLOBAL_SCOPE, type LimitsMicros, limitsToMicros } from './policy.js';

/** A policy refusal that is not about money: a denied model or route. Not retryable: the same call is denied again. */
export class PolicyDeniedError extends X402Error {
  override name = 'PolicyDeniedError';
  constructor(message: string, details: Record<string, unknown>) {
    super('POLICY_DENIED', message, { details });
  }
}
markError(PolicyDeniedError, 'PolicyDeniedError');

/** Why a call is refused before anything is held: the event to emit and the error to throw. */
export interface Refusal {
  event: RefusedEvent;
  error: X402Error;
}

/**
 * The parts of the policy that need no store: model and route globs, per-request caps, and each scope's limits.
 * Pure: same policy and request, same answer.
 */
export class PolicyGate {
  private readonly globalLimits: LimitsMicros;
  private readonly scopeLimits: Map<string, LimitsMicros>;

  constructor(private readonly policy: BudgetPolicy) {
    this.globalLimits = limitsToMicros(policy.limits);
    this.scopeLimits = new Map(Object.entries(policy.scopes).map(([k, v]) => [k, limitsToMicros(v)]));
  }

  limitsFor(scope: string): LimitsMicros | undefined {
    return scope === GLOBAL_SCOPE ? this.globalLimits : this.scopeLimits.get(scope);
  }

  /** Every scope with limits, global first. */
  limitedScopes(): string[] {
    return [GLOBAL_SCOPE, ...this.scopeLimits.keys()];
  }

  /** The refusal for a call of `amount` under `scopes`, or undefined when the policy lets it through to the store. */
  check(request: { model?: string; route?: string }, scopes: string[], amount: Micros): Refusal | undefined {
    const model = request.model ?? 'unknown';
    const route = request.route ?? 'unknown';
    // Built only for a refusal: the hot path allocates nothing here.
    const event = (reason: string, scope?: string): RefusedEvent => ({
      reason,
      ...(scope !== undefined && { scope }),
      model,
      route,
      estimateUsd: microsToUsd(amount),
    });
    if (request.model && !this.modelAllowed(request.model)) {
      return {
        event: event('model'),
        error: new PolicyDeniedError(`Model ${request.model} is not allowed by the budget policy`, { model }),
      };
    }
    if (request.route && !allowedBy(this.policy.routes, request.route)) {
      return {
        event: event('route'),
        error: new PolicyDeniedError(`Route ${request.route} is not allowed by the budget policy`, { route }),
      };
    }
    for (const scope of scopes) {
      const cap = this.limitsFor(scope)?.perRequest;
      if (cap === undefined || amount <= cap) continue;
      return {
        event: event('perRequest', scope),
        error: new BudgetExceededError(
          `Estimated $${formatUsd(amount, 2)} exceeds the $${formatUsd(cap, 2)} per-request limit of ${scope}`,
          { limit: 'perRequest', scope, estimateUsd: microsToUsd(amount), limitUsd: microsToUsd(cap) },
        ),
      };
    }
    return undefined;
  }

  /** The refusal for a reservation the store refused: which scope's window is full, and by how much. */
  overLimit(
    result: { key: string; used: Micros; limit: Micros },
    amount: Micros,
    request: { model?: string; route?: string },
  ): Refusal {
    const counter = decodeCounterKey(result.key);
    const scope = counter?.scope ?? GLOBAL_SCOPE;
    const window = counter?.window ?? 'total';
    const estimateUsd = microsToUsd(amount);
    const model = request.model ?? 'unknown';
    const route = request.route ?? 'unknown';
    return {
      event: { reason: window, scope, window, model, route, estimateUsd },
      error: new BudgetExceededError(
        `Budget exceeded: ${scope} ${window} limit $${formatUsd(result.limit, 2)} (used $${formatUsd(result.used, 2)}, this call up to $${formatUsd(amount, 2)})`,
        { limit: window, scope, usedUsd: microsToUsd(result.used), limitUsd: microsToUsd(result.limit), estimateUsd },
      ),
    };
  }

  // Venice model ids take feature suffixes (`venice-uncensored:enable_web_search=off`): a rule about the model
  // must hold whatever suffix is added, so the base id is checked too (a deny on either refuses).
  private modelAllowed(model: string): boolean {
    const baseId = model.split(':')[0]!;
    const { allow, deny } = this.policy.models;
    if (!allowedBy({ deny }, model) || !allowedBy({ deny }, baseId)) return false;
    return allowedBy({ allow }, model) || allowedBy({ allow }, baseId);
  }
}
