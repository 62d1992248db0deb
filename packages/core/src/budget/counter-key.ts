import type { WindowName } from './policy.js';

/** One budget counter: what a scope spent in one window (`id`: `h:2026-11-23T20`, `d:2026-11-23`, `m:2026-11`, `t`). */
export interface CounterKey {
  scope: string;
  window: WindowName;
  id: string;
}

/**
 * The one encoding of a counter key as a store field: a JSON array, so no scope name can pass for a delimiter.
 * Stores treat it as opaque; only `decodeCounterKey` reads it back.
 */
export const encodeCounterKey = (scope: string, windowId: string): string => JSON.stringify([scope, windowId]);

const WINDOW_OF_PREFIX: Record<string, WindowName> = { h: 'hourly', d: 'daily', m: 'monthly', t: 'total' };

/** The window a window id belongs to, or undefined for an id no budget writes. */
export function windowOfId(id: string): WindowName | undefined {
  if (id === 't') return 'total';
  const window = WINDOW_OF_PREFIX[id.slice(0, 1)];
  return window && id[1] === ':' ? window : undefined;
}

/** Reads a key written by `encodeCounterKey`; undefined for anything else. */
export function decodeCounterKey(key: string): CounterKey | undefined {
  if (!key.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [scope, id] = parsed;
  if (typeof scope !== 'string' || typeof id !== 'string') return undefined;
  const window = windowOfId(id);
  return window ? { scope, window, id } : undefined;
}

/**
 * A counter key as version 0.1 wrote it (`scope|windowId`), re-encoded; undefined when `key` is not one.
 * Stores migrate what they hold with it, so an upgrade keeps the current windows' spend.
 */
export function migrateLegacyCounterKey(key: string): string | undefined {
  if (key.startsWith('[')) return undefined;
  const sep = key.lastIndexOf('|');
  if (sep <= 0) return undefined;
  const id = key.slice(sep + 1);
  return windowOfId(id) ? encodeCounterKey(key.slice(0, sep), id) : undefined;
}
