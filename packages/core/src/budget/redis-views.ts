import type { RedisKeys } from './redis-keys.js';
import {
  decodeHold,
  decodePayment,
  decodeRequestRecord,
  decodeSeriesField,
  decodeUsageField,
} from './redis-records.js';
import { pairs, scanHash, str } from './redis-reply.js';
import { parseRefusal, refusalRecord } from './refusal-log.js';
import {
  type HoldRecord,
  type PaymentRecord,
  type RefusalLog,
  type RefusalRecord,
  type RequestRecord,
  SERIES_RETENTION_HOURS,
  type SeriesRow,
  type UsageRow,
} from './store.js';

/** The Redis store's reads that need no script: usage, series, payments, refusals, request records, and the holds' answer. */

type Send = (args: string[]) => Promise<unknown>;

export async function readUsage(send: Send, keys: RedisKeys): Promise<UsageRow[]> {
  const [micros, calls] = (await Promise.all([
    send(['HGETALL', keys.key('usage')]),
    send(['HGETALL', keys.key('calls')]),
  ])) as unknown[];
  const c = pairs(calls);
  const rows: UsageRow[] = [];
  for (const [field, value] of pairs(micros)) {
    const name = decodeUsageField(field);
    if (name) rows.push({ ...name, micros: BigInt(value), calls: Number(c.get(field) ?? 0) });
  }
  return rows;
}

export async function readSeries(send: Send, keys: RedisKeys, fromHour: string, toHour: string) {
  const out: SeriesRow[] = [];
  const replies = await Promise.all(daysBetween(fromHour, toHour).map((day) => send(['HGETALL', keys.series(day)])));
  for (const reply of replies) {
    const fields = pairs(reply);
    for (const [field, micros] of fields) {
      const row = field.startsWith('#') ? undefined : decodeSeriesField(field);
      if (!row || row.hour < fromHour || row.hour > toHour) continue;
      out.push({ ...row, micros: BigInt(micros), calls: Number(fields.get(`#${field}`) ?? 0) });
    }
  }
  return out;
}

/**
 * The HOLDS script's answer (`{serverNow, id, hold, expiry, …}`, live by the server's clock) with expiries told on
 * the caller's clock: its `now` plus what is left.
 */
export function decodeHolds(flat: unknown[], now: number): HoldRecord[] {
  const serverNow = Number(str(flat[0]));
  const out: HoldRecord[] = [];
  for (let i = 1; i + 2 < flat.length; i += 3) {
    const hold = decodeHold(str(flat[i]), str(flat[i + 1]), now + (Number(str(flat[i + 2])) - serverNow));
    if (hold) out.push(hold);
  }
  return out;
}

export async function readRefusals(send: Send, keys: RedisKeys, limit: number): Promise<RefusalLog> {
  const [items, total] = (await Promise.all([
    limit > 0 ? send(['LRANGE', keys.key('refusals'), '0', String(limit - 1)]) : [],
    send(['GET', keys.key('refusalTotal')]),
  ])) as [unknown[], unknown];
  const latest: RefusalRecord[] = [];
  for (const item of items) {
    const entry = parseRefusal(parseJsonText(str(item)));
    if (entry) latest.push(refusalRecord(entry));
  }
  const counted = total == null ? 0 : Number(str(total));
  return { total: Math.max(latest.length, Number.isSafeInteger(counted) ? counted : 0), latest };
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function readPayments(send: Send, keys: RedisKeys, limit: number): Promise<PaymentRecord[]> {
  const items = (await send(['LRANGE', keys.key('payments'), '0', String(limit - 1)])) as unknown[];
  return items.map((item) => decodePayment(str(item))).filter((p): p is PaymentRecord => p !== undefined);
}

/** Request records of the months the store keeps (the current one and the last), read a page at a time. */
export async function readRequests(send: Send, keys: RedisKeys): Promise<Map<string, RequestRecord>> {
  const months = [...pairs(await send(['ZRANGE', keys.key('requestMonths'), '0', '-1', 'WITHSCORES'])).keys()];
  const out = new Map<string, RequestRecord>();
  for (const month of months) {
    const seen = new Map<string, RequestRecord>(); // HSCAN may answer a field twice
    for await (const [id, value] of scanHash(send, keys.requests(month))) {
      const record = decodeRequestRecord(value);
      if (record) seen.set(id, record);
    }
    for (const [id, record] of seen) {
      const prev = out.get(id);
      out.set(
        id,
        prev ? { micros: prev.micros + record.micros, ambiguous: prev.ambiguous || record.ambiguous } : record,
      );
    }
  }
  return out;
}

/** UTC days (`2026-11-23`) from one hour's day to another's, at most the series retention plus a day. */
function daysBetween(fromHour: string, toHour: string): string[] {
  const dayMs = 86_400_000;
  const to = Date.parse(`${toHour.slice(0, 10)}T00:00:00Z`);
  let from = Date.parse(`${fromHour.slice(0, 10)}T00:00:00Z`);
  if (!Number.isFinite(to)) return [];
  if (!Number.isFinite(from) || to - from > (SERIES_RETENTION_HOURS + 24) * 3_600_000)
    from = to - (SERIES_RETENTION_HOURS + 24) * 3_600_000;
  const days: string[] = [];
  for (let t = from; t <= to; t += dayMs) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}
