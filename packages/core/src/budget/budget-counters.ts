import { type Micros, microsToUsd } from '../money.js';
import { decodeCounterKey, encodeCounterKey } from './counter-key.js';
import { type LimitsMicros, WINDOWS, type WindowName } from './policy.js';
import type { CounterLimit, CounterState } from './store.js';
import { windowId } from './windows.js';

/** A scope chain's counters at one moment: what the store checks (key + limit) and the keys alone. */
export interface Counters {
  limits: CounterLimit[];
  keys: string[];
}

const CACHE_SIZE = 10_000;

/**
 * The counters a call counts in: one per window with a limit, for every scope of its chain, keyed by
 * `encodeCounterKey` (the only place budget counter keys are built). Keys change only when the hour does, so
 * they are cached per scope chain for the current hour (the hot path of every call).
 */
export class CounterBook {
  private cache = new Map<string, Counters>();
  /** Keys built this hour → what they stand for (spares a JSON parse per key on every commit). */
  private known = new Map<string, { scope: string; window: WindowName; id: string; limit: Micros }>();
  private cacheHour = Number.NaN;

  constructor(private readonly limitsFor: (scope: string) => LimitsMicros | undefined) {}

  at(scopes: readonly string[], t: number): Counters {
    const hour = Math.floor(t / 3_600_000);
    if (hour !== this.cacheHour) {
      this.cache = new Map();
      this.known = new Map();
      this.cacheHour = hour;
    }
    const cacheKey = scopes.length === 1 ? scopes[0]! : JSON.stringify(scopes);
    let counters = this.cache.get(cacheKey);
    if (!counters) {
      counters = this.build(scopes, t);
      if (this.cache.size < CACHE_SIZE) this.cache.set(cacheKey, counters);
    }
    return counters;
  }

  /** The scope, window and limit a counter key stands for; undefined when no limit of the policy has it. */
  limitOf(key: string): { scope: string; window: WindowName; id: string; limit: Micros } | undefined {
    const known = this.known.get(key);
    if (known) return known;
    const counter = decodeCounterKey(key);
    const limit = counter && this.limitsFor(counter.scope)?.[counter.window];
    return counter && limit !== undefined ? { ...counter, limit } : undefined;
  }

  /** USD left in the tightest of `keys` (never below 0), or undefined when none has a limit. */
  remaining(keys: readonly string[], state: Map<string, CounterState>): number | undefined {
    let min: bigint | undefined;
    for (const key of keys) {
      const limit = this.limitOf(key)?.limit;
      const c = state.get(key);
      if (limit === undefined || !c) continue;
      const left = limit - c.spent - c.reserved;
      if (min === undefined || left < min) min = left;
    }
    return min === undefined ? undefined : microsToUsd(min < 0n ? 0n : min);
  }

  private build(scopes: readonly string[], t: number): Counters {
    const limits: CounterLimit[] = [];
    for (const scope of scopes) {
      const scopeLimits = this.limitsFor(scope);
      if (!scopeLimits) continue;
      for (const w of WINDOWS) {
        const limit = scopeLimits[w];
        if (limit === undefined) continue;
        const id = windowId(w, t);
        const key = encodeCounterKey(scope, id);
        limits.push({ key, limit });
        if (this.known.size < CACHE_SIZE * 4) this.known.set(key, { scope, window: w, id, limit });
      }
    }
    return { limits, keys: limits.map((c) => c.key) };
  }
}
