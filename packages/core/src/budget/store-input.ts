import { ConfigError, StoreInputError } from '../errors.js';
import type { CommitArgs, ReserveArgs, TopUpClaimArgs, TopUpRecord } from './store.js';

/** The largest amount one store write may carry: $1bn, exact as a JS number (stores count in numbers). */
export const MAX_STORE_MICROS = 10n ** 15n;
/** Longest reservation id, top-up owner or payment transaction a store keeps. */
export const MAX_ID_LENGTH = 200;
/** A UTC hour as the series keys it: `2026-11-23T20`. */
export const HOUR_PATTERN = /^\d{4}-\d\d-\d\dT\d\d$/;

/**
 * A name a server chose (a model, a request id), cut to MAX_ID_LENGTH: it is kept as data, but a hostile server
 * cannot grow every ledger line (and the Redis request hash) by a megabyte a call.
 */
export const boundedName = <T extends string | undefined>(name: T): T =>
  (typeof name === 'string' && name.length > MAX_ID_LENGTH ? name.slice(0, MAX_ID_LENGTH) : name) as T;

/** Longest job retention a store takes: ten years, in ms (Redis scores and JS numbers stay exact). */
const MAX_JOB_RETENTION_MS = 10 * 365 * 86_400_000;

/** A store's `jobRetentionMs` option: whole ms from 0 to ten years, else a ConfigError at open. */
export function checkJobRetention(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_JOB_RETENTION_MS)
    throw new ConfigError('jobRetentionMs must be a whole number of milliseconds from 0 to ten years', {
      jobRetentionMs: String(ms).slice(0, 40),
    });
  return ms;
}

const MICROS_RULE = 'must be an integer amount of micro-USD from 0 to 10^15 ($1bn)';
const ID_RULE = `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
const TIME_RULE = 'must be a finite, non-negative time in ms';

const isMicros = (v: unknown) => typeof v === 'bigint' && v >= 0n && v <= MAX_STORE_MICROS;
const isId = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
const isTime = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
function isStrings(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const s of v) if (typeof s !== 'string') return false;
  return true;
}

function isCounters(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const c of v) if (typeof c?.key !== 'string' || typeof c.limit !== 'bigint') return false;
  return true;
}

/**
 * Checks what a store is asked to write before anything is written, so a bad value (a server's `cost.usd` of
 * 1e13, NaN, a negative amount) is a `StoreInputError` and changes nothing, instead of a line no reader accepts.
 */
export function checkReserve(a: ReserveArgs): void {
  const op = 'reservation';
  if (!isId(a.id)) throw new StoreInputError(op, 'id', ID_RULE);
  if (!isMicros(a.amount)) throw new StoreInputError(op, 'amount', MICROS_RULE);
  if (!isCounters(a.counters))
    throw new StoreInputError(op, 'counters', 'must be a list of { key: string, limit: bigint }');
  if (!isTime(a.expiresAt)) throw new StoreInputError(op, 'expiresAt', TIME_RULE);
  if (!isTime(a.now)) throw new StoreInputError(op, 'now', TIME_RULE);
}

export function checkCommit(a: CommitArgs): void {
  const op = 'commit';
  if (!isId(a.id)) throw new StoreInputError(op, 'id', ID_RULE);
  if (!isMicros(a.actual)) throw new StoreInputError(op, 'actual', MICROS_RULE);
  if (!isStrings(a.keys)) throw new StoreInputError(op, 'keys', 'must be a list of counter keys');
  const u = a.usage;
  if (!u || !isStrings(u.scopes) || typeof u.model !== 'string' || typeof u.day !== 'string')
    throw new StoreInputError(op, 'usage', 'must name its scopes, model and day');
  if (u.hour !== undefined && !(typeof u.hour === 'string' && HOUR_PATTERN.test(u.hour)))
    throw new StoreInputError(op, 'usage.hour', 'must be a UTC hour like 2026-11-23T20');
  if (a.requestId !== undefined && typeof a.requestId !== 'string')
    throw new StoreInputError(op, 'requestId', 'must be a string');
  if (a.paymentTx !== undefined && !isId(a.paymentTx)) throw new StoreInputError(op, 'paymentTx', ID_RULE);
  if (!isTime(a.now)) throw new StoreInputError(op, 'now', TIME_RULE);
}

export function checkRenew(id: string, expiresAt: number, now: number): void {
  if (!isId(id)) throw new StoreInputError('renewal', 'id', ID_RULE);
  if (!isTime(expiresAt)) throw new StoreInputError('renewal', 'expiresAt', TIME_RULE);
  if (!isTime(now)) throw new StoreInputError('renewal', 'now', TIME_RULE);
}

export function checkTopUpClaim(a: TopUpClaimArgs): void {
  const op = 'top-up claim';
  if (!isId(a.owner)) throw new StoreInputError(op, 'owner', ID_RULE);
  if (!isMicros(a.amount)) throw new StoreInputError(op, 'amount', MICROS_RULE);
  if (typeof a.day !== 'string') throw new StoreInputError(op, 'day', 'must be a string');
  for (const field of ['now', 'startedAt', 'lockTtlMs', 'minIntervalMs'] as const)
    if (!isTime(a[field])) throw new StoreInputError(op, field, TIME_RULE);
}

export function checkTopUpFinish(owner: string, now: number, topUp?: TopUpRecord): void {
  const op = 'top-up finish';
  if (!isId(owner)) throw new StoreInputError(op, 'owner', ID_RULE);
  if (!isTime(now)) throw new StoreInputError(op, 'now', TIME_RULE);
  if (topUp && !isMicros(topUp.micros)) throw new StoreInputError(op, 'micros', MICROS_RULE);
  if (topUp?.tx !== undefined && !isId(topUp.tx)) throw new StoreInputError(op, 'tx', ID_RULE);
}
