import { migrateLegacyCounterKey } from './counter-key.js';
import { REQUEST_TTL_SECONDS } from './redis-lua.js';
import { encodeUsageField } from './redis-records.js';

/**
 * Version 0.1 of the Redis store joined names with `|` and `,`: counter fields `scope|windowId`, holds
 * `amount|key1,key2`, usage fields `scope|model|day`, one request hash of `micros|ambiguous`. The first store of
 * this version to open such a budget rewrites it, atomically and once (the `format` field of the meta key says
 * which layout a budget has). Names are read back from the old strings here and nowhere else.
 */
export const FORMAT = '2';

/** The rewrite a budget needs, computed from what it holds; the script applies it unless another process did. */
export interface Migration {
  counters: [string, string][];
  windows: [string, string][];
  holds: [string, string, string, string[]][];
  usage: [string, string][];
}

/** `{counters, windows, holds, usage}` (see `Migration`) → 1 migrated, 0 when the budget was already. */
export const MIGRATE = `
local A, err = input(function(A)
  local pair = function(p, field) list(p, field); text(p[1], field); text(p[2], field) end
  list(A.counters, 'counters', pair)
  list(A.windows, 'windows', pair)
  list(A.usage, 'usage', pair)
  list(A.holds, 'holds', function(h, field)
    list(h, field); text(h[1], field); text(h[2], field); micros(h[3], field); list(h[4], field, text)
  end)
end)
if not A then return err end
if redis.call('HGET', K.meta, 'format') == '${FORMAT}' then return 0 end
local function move(hash, pairs)
  for _, p in ipairs(pairs) do
    local v = redis.call('HGET', hash, p[1])
    if v and string.find(v, '^%-?%d+$') and v ~= '-0' then
      redis.call('HDEL', hash, p[1])
      redis.call('HINCRBY', hash, p[2], v)
    end
  end
end
move(K.spent, A.counters)
move(K.reserved, A.counters)
move(K.usage, A.usage)
move(K.calls, A.usage)
for _, p in ipairs(A.windows) do
  local at = redis.call('ZSCORE', K.windows, p[1])
  if at then
    redis.call('ZREM', K.windows, p[1])
    redis.call('ZADD', K.windows, at, p[2])
  end
end
for _, h in ipairs(A.holds) do
  if redis.call('HGET', K.holds, h[1]) == h[2] then redis.call('HSET', K.holds, h[1], cjson.encode({a = h[3], k = h[4]})) end
end
-- ids 0.1 settled: still settled (at an amount it did not keep, so a replay of them is refused, not applied)
for i = K.count + 1, #KEYS do
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[i])) do redis.call('HSETNX', K.settled, id, 'legacy') end
end
if redis.call('EXISTS', K.legacyRequests) == 1 then
  redis.call('RENAME', K.legacyRequests, K.requests)
  redis.call('EXPIRE', K.requests, ${REQUEST_TTL_SECONDS})
  redis.call('ZADD', K.requestMonths, ms(now), 'legacy')
end
redis.call('HSET', K.meta, 'format', '${FORMAT}')
return 1
`;

/** UTC days from three before `now` to one after: 0.1 kept a day's settled ids for three days. */
export const legacySettledDays = (now: number) =>
  [-3, -2, -1, 0, 1].map((d) => new Date(now + d * 86_400_000).toISOString().slice(0, 10));

/** The month key the old request hash is renamed to. */
export const LEGACY_MONTH = 'legacy';

/** What the old layout holds, as read with plain commands. */
export interface LegacyData {
  spent: string[];
  reserved: string[];
  windows: string[];
  holds: Map<string, string>;
  usage: string[];
  calls: string[];
}

/** The rewrite of everything in the old layout; fields already in the new one are left alone. */
export function planMigration(data: LegacyData): Migration {
  const counters = new Map<string, string>();
  for (const field of [...data.spent, ...data.reserved]) {
    const key = migrateLegacyCounterKey(field);
    if (key) counters.set(field, key);
  }
  const windows: [string, string][] = [];
  for (const member of data.windows) {
    const key = migrateLegacyCounterKey(member);
    if (key) windows.push([member, key]);
  }
  const usage = new Map<string, string>();
  for (const field of [...data.usage, ...data.calls]) {
    const migrated = migrateUsageField(field);
    if (migrated) usage.set(field, migrated);
  }
  const holds: Migration['holds'] = [];
  for (const [id, value] of data.holds) {
    const hold = migrateHold(value);
    if (hold) holds.push([id, value, hold.amount, hold.keys]);
  }
  return { counters: [...counters], windows, holds, usage: [...usage] };
}

/** `scope|model|day` → JSON; the scope ends at the first `|`, the day starts after the last (a model may hold `|`). */
function migrateUsageField(field: string): string | undefined {
  if (field.startsWith('[')) return undefined;
  const first = field.indexOf('|');
  const last = field.lastIndexOf('|');
  if (first <= 0 || last === first) return undefined;
  return encodeUsageField(field.slice(0, first), field.slice(first + 1, last), field.slice(last + 1));
}

/**
 * `amount|key1,key2` (0.1) or `amount|["key1",…]` → amount and counter keys. A scope holding a comma was split
 * apart by the old writer: pieces are joined again until each is a whole `scope|windowId`.
 */
function migrateHold(value: string): { amount: string; keys: string[] } | undefined {
  if (value.startsWith('{')) return undefined;
  const sep = value.indexOf('|');
  const amount = value.slice(0, sep);
  if (sep <= 0 || !/^\d+$/.test(amount)) return undefined;
  const rest = value.slice(sep + 1);
  if (rest.startsWith('[')) {
    try {
      const keys: unknown = JSON.parse(rest);
      if (Array.isArray(keys) && keys.every((k) => typeof k === 'string'))
        return { amount: String(BigInt(amount)), keys };
    } catch {}
    return undefined;
  }
  const keys: string[] = [];
  let piece = '';
  for (const part of rest === '' ? [] : rest.split(',')) {
    piece = piece === '' ? part : `${piece},${part}`;
    const key = migrateLegacyCounterKey(piece);
    if (key) {
      keys.push(key);
      piece = '';
    }
  }
  return piece === '' ? { amount: String(BigInt(amount)), keys } : undefined;
}
