import { usdToMicros } from '../money.js';
import type { BudgetEmitter } from './budget-events.js';
import type { RefusedEvent } from './budget-types.js';
import type { BudgetStore, RefusalRecord } from './store.js';

/** A refusal as every store keeps it (memory, the file's journal, a Redis list): plain JSON, micro-USD a string. */
export interface RefusalJson {
  at: number;
  reason: string;
  scope?: string;
  window?: string;
  model?: string;
  route?: string;
  estimateMicros?: string;
  retryAt?: number;
}

/** Names come from callers: each is cut to this many characters, so one record stays small. */
const MAX_TEXT = 200;
const NAMES = ['scope', 'window', 'model', 'route'] as const;

const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, MAX_TEXT) : undefined);
const time = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** The log record of a `refused` event. */
export function refusalOf(event: RefusedEvent, at: number): RefusalRecord {
  const estimate = event.estimateUsd;
  return {
    at,
    reason: event.reason,
    scope: event.scope,
    window: event.window,
    model: event.model,
    route: event.route,
    estimateMicros:
      typeof estimate === 'number' && Number.isFinite(estimate) && estimate >= 0
        ? usdToMicros(estimate, 'ceil')
        : undefined,
    retryAt: event.retryAt,
  };
}

/** A record as a store writes it (names cut short), or undefined when it is malformed. */
export function refusalJson(record: RefusalRecord): RefusalJson | undefined {
  return parseRefusal({ ...record, estimateMicros: record.estimateMicros?.toString() });
}

/** A stored refusal read back: undefined for anything malformed (a store's content is never trusted). */
export function parseRefusal(value: unknown): RefusalJson | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const at = time(v.at);
  const reason = text(v.reason);
  if (at === undefined || reason === undefined) return undefined;
  const out: RefusalJson = { at, reason };
  for (const key of NAMES) {
    if (v[key] === undefined || v[key] === '') continue;
    const name = text(v[key]);
    if (name === undefined) return undefined;
    out[key] = name;
  }
  if (v.estimateMicros !== undefined) {
    if (typeof v.estimateMicros !== 'string' || !/^\d{1,18}$/.test(v.estimateMicros)) return undefined;
    out.estimateMicros = v.estimateMicros;
  }
  if (v.retryAt !== undefined) {
    const retryAt = time(v.retryAt);
    if (retryAt === undefined) return undefined;
    out.retryAt = retryAt;
  }
  return out;
}

/** The store interface's shape: micro-USD as bigint. */
export function refusalRecord(json: RefusalJson): RefusalRecord {
  const { estimateMicros, ...rest } = json;
  return { ...rest, ...(estimateMicros !== undefined && { estimateMicros: BigInt(estimateMicros) }) };
}

/** Refusal writes waiting on the store at most: past this, a refusal goes unlogged rather than queue up. */
export const MAX_REFUSAL_WRITES = 16;

/**
 * Logs every `refused` event in the store's refusal log (for a dashboard in another process). Best effort and
 * bounded: the refusal is thrown without waiting, a failed write is dropped, and while MAX_REFUSAL_WRITES writes
 * wait on a slow store further refusals go unlogged.
 */
export function logRefusals(
  events: BudgetEmitter,
  store: Pick<BudgetStore, 'logRefusal'>,
  now: () => number,
): () => void {
  if (!store.logRefusal) return () => {};
  let writing = 0;
  return events.on('refused', (event) => {
    if (writing >= MAX_REFUSAL_WRITES) return;
    writing++;
    const done = () => {
      writing--;
    };
    try {
      store.logRefusal!(refusalOf(event, now())).then(done, done);
    } catch {
      done();
    }
  });
}
