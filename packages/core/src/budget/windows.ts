import { decodeCounterKey } from './counter-key.js';
import type { WindowName } from './policy.js';
import { GLOBAL_SCOPE, parseScopeChain } from './scope-names.js';

/** UTC window ids: `h:2026-11-23T20`, `d:2026-11-23`, `m:2026-11`, `t`. */
export function windowId(window: WindowName, now: number): string {
  if (window === 'total') return 't';
  const iso = isoHour(now);
  if (window === 'hourly') return `h:${iso}`;
  if (window === 'daily') return `d:${iso.slice(0, 10)}`;
  return `m:${iso.slice(0, 7)}`;
}

// Formatting dates dominates the in-memory hot path: remember the current hour's string.
let cachedHour = Number.NaN;
// Stryker disable next-line StringLiteral: equivalent, the NaN hour above makes the first call compute it
let cachedIso = '';
function isoHour(now: number): string {
  const hour = Math.floor(now / 3_600_000);
  // Stryker disable next-line ConditionalExpression: equivalent, recomputing the cached string gives the same one
  if (hour !== cachedHour) {
    cachedHour = hour;
    cachedIso = new Date(hour * 3_600_000).toISOString().slice(0, 13);
  }
  return cachedIso;
}

/** When a counter key's window has ended (plus a day's grace for late commits and reports): ms, or none for totals. */
export function windowExpiry(counterKey: string): number | undefined {
  // Stryker disable next-line StringLiteral: equivalent, no window pattern matches any placeholder
  const id = decodeCounterKey(counterKey)?.id ?? '';
  const GRACE = 86_400_000;
  const hour = /^h:(\d{4}-\d{2}-\d{2}T\d{2})$/.exec(id);
  if (hour) return Date.parse(`${hour[1]}:00:00Z`) + 3_600_000 + GRACE;
  const day = /^d:(\d{4}-\d{2}-\d{2})$/.exec(id);
  if (day) return Date.parse(`${day[1]}T00:00:00Z`) + 86_400_000 + GRACE;
  const month = /^m:(\d{4})-(\d{2})$/.exec(id);
  if (month) return Date.UTC(Number(month[1]), Number(month[2]), 1) + GRACE; // Date.UTC months are 0-based: next month
  return undefined;
}

export const dayOf = (now: number) => isoHour(now).slice(0, 10);
/** UTC hour `2026-11-23T20`. */
export const hourOf = (now: number) => isoHour(now);

/** A call's scope (`team:research/agent:planner` or an array) as its chain, global first. See `parseScopeChain`. */
const GLOBAL_ONLY = [GLOBAL_SCOPE];
const chains = new Map<string, string[]>();

export function scopeChain(scope: string | readonly string[] | undefined): string[] {
  if (scope === undefined) return GLOBAL_ONLY;
  // Stryker disable all: equivalent, a cache only (whether and what it remembers, the chain is parseScopeChain's)
  if (typeof scope !== 'string') return parseScopeChain(scope);
  let chain = chains.get(scope);
  if (!chain) {
    chain = parseScopeChain(scope);
    if (chains.size < 10_000) chains.set(scope, chain);
  }
  // Stryker restore all
  return chain;
}
