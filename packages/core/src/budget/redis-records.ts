import type { HoldRecord, PaymentRecord, RequestRecord, UsageRow } from './store.js';

/**
 * How the Redis store writes names and amounts into fields and values: JSON arrays and objects, never a
 * delimiter-joined string, so no scope, model or id can pass for structure. Amounts are decimal strings.
 */

/** A usage field: `[scope, model, day]`. */
export const encodeUsageField = (scope: string, model: string, day: string) => JSON.stringify([scope, model, day]);

export function decodeUsageField(field: string): Pick<UsageRow, 'scope' | 'model' | 'day'> | undefined {
  const parsed = parseJson(field);
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((v) => typeof v === 'string')) return undefined;
  const [scope, model, day] = parsed as [string, string, string];
  return { scope, model, day };
}

/** A series field: `[hour, model, scopes]` (its call count sits under the same field with a leading `#`). */
export const encodeSeriesField = (hour: string, model: string, scopes: string[]) =>
  JSON.stringify([hour, model, scopes]);

export function decodeSeriesField(field: string): { hour: string; model: string; scopes: string[] } | undefined {
  const parsed = parseJson(field);
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [hour, model, scopes] = parsed;
  if (typeof hour !== 'string' || typeof model !== 'string' || !Array.isArray(scopes)) return undefined;
  return { hour, model, scopes };
}

/** A hold, as the reserve script writes it: `{"a": "micros", "k": [counter keys]}`. */
export function decodeHold(id: string, value: string, expiresAt: number): HoldRecord | undefined {
  const parsed = parseJson(value);
  if (!parsed || typeof parsed !== 'object' || typeof parsed.a !== 'string' || !/^\d+$/.test(parsed.a))
    return undefined;
  // Lua's cjson writes an empty list as `{}`.
  const keys = Array.isArray(parsed.k) ? parsed.k.filter((k: unknown) => typeof k === 'string') : [];
  return { id, micros: BigInt(parsed.a), keys, expiresAt };
}

/**
 * A request record: `["micros", ambiguous]`. The month renamed from version 0.1 (`legacy`) still holds
 * `micros|0` / `micros|1`, which is read here too (no name is in it).
 */
export function decodeRequestRecord(value: string): RequestRecord | undefined {
  const parsed = parseJson(value);
  if (Array.isArray(parsed) && typeof parsed[0] === 'string' && /^\d+$/.test(parsed[0]))
    return { micros: BigInt(parsed[0]), ambiguous: parsed[1] === true };
  const legacy = /^(\d+)\|([01])$/.exec(value);
  return legacy ? { micros: BigInt(legacy[1]!), ambiguous: legacy[2] === '1' } : undefined;
}

/** A payment log entry: the record as JSON, micros as a decimal string. */
export const encodePayment = (record: PaymentRecord) => JSON.stringify({ ...record, micros: String(record.micros) });

export function decodePayment(value: string): PaymentRecord | undefined {
  const parsed = parseJson(value);
  if (!parsed || typeof parsed !== 'object' || !/^\d+$/.test(String(parsed.micros))) return undefined;
  return { ...parsed, micros: BigInt(parsed.micros) } as PaymentRecord;
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
