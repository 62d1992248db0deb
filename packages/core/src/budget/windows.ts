import type { WindowName } from './policy.js';

/** UTC window ids: `h:2026-11-23T20`, `d:2026-11-23`, `m:2026-11`, `t`. */
export function windowId(window: WindowName, now: number): string {
  if (window === 'total') return 't';
  const iso = new Date(now).toISOString();
  if (window === 'hourly') return `h:${iso.slice(0, 13)}`;
  if (window === 'daily') return `d:${iso.slice(0, 10)}`;
  return `m:${iso.slice(0, 7)}`;
}

export const dayOf = (now: number) => new Date(now).toISOString().slice(0, 10);

/** Splits a scope (`team:research/agent:planner` or an array) into its chain, global first. */
export function scopeChain(scope: string | readonly string[] | undefined): string[] {
  const parts = scope === undefined ? [] : typeof scope === 'string' ? scope.split('/') : [...scope];
  const chain = ['global'];
  for (const p of parts.map((s) => s.trim()).filter(Boolean)) if (!chain.includes(p)) chain.push(p);
  return chain;
}
