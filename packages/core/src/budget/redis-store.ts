import { createHash } from 'node:crypto';
import { StoreError } from '../errors.js';
import { confirmedSender } from './redis-wait.js';
import { type JobJson, jobFromJson, jobToJson } from './state.js';
import {
  type BudgetStore,
  type CounterState,
  type HoldRecord,
  PAYMENT_LOG_SIZE,
  type PaymentRecord,
  type RequestRecord,
  SERIES_RETENTION_HOURS,
  type SeriesRow,
  type UsageRow,
} from './store.js';
import { hourOf, windowExpiry } from './windows.js';

/** A day's series key outlives its last hour by the retention (plus a day of slack). */
const SERIES_TTL_SECONDS = (SERIES_RETENTION_HOURS + 24) * 3600;

/**
 * Anything that can send a raw Redis command: an ioredis client or Cluster (`call`), a node-redis client or
 * cluster (`sendCommand`).
 */
export type RedisLike =
  | { call(command: string, ...args: (string | number)[]): Promise<unknown> }
  | { sendCommand(args: string[]): Promise<unknown> }
  /** A node-redis cluster (`createCluster`): commands are routed by their first key. */
  | { masters: unknown; sendCommand(firstKey: any, isReadonly: any, args: any): Promise<unknown> };

// Keys (all under the prefix): spent / reserved (hash: counter key → micros), res (hash: id → 'amount|' + JSON keys),
// exp (zset: id by expiry), usage (hash), req (hash: request id → "micros|ambiguous"), pins (hash), topup (hash),
// settled:<day> (set), pay (list: payment log, JSON, newest first), series:<day> (hash: JSON [hour, model, scopes]
// → micros, and '#' + the same → calls; expires after the series retention), refunded (set: request ids credited),
// jobs (hash: queue id → JSON job record).

/** Frees a reservation's hold on every counter it touched. Shared by every script below. */
const DROP = `
local K = {spent = KEYS[1], reserved = KEYS[2], res = KEYS[3], exp = KEYS[4], gone = KEYS[5], usage = KEYS[6], calls = KEYS[7], req = KEYS[8], topup = KEYS[9], wins = KEYS[10]}
local function drop(P, id)
  local r = redis.call('HGET', K.res, id)
  if not r then return false end
  local sep = string.find(r, '|', 1, true)
  local amount = tonumber(string.sub(r, 1, sep - 1))
  for _, key in ipairs(cjson.decode(string.sub(r, sep + 1))) do redis.call('HINCRBY', K.reserved, key, 0 - amount) end -- never -amount: Lua writes -0 as "-0", which HINCRBY refuses
  redis.call('HDEL', K.res, id)
  redis.call('ZREM', K.exp, id)
  return true
end
`;

// An expired hold is remembered in 'gone' so its late commit is still accepted, once. Counters of windows that
// ended (an hour, a day, a month ago) are removed, a few at a time: a budget that runs for a year stays small.
const SWEEP = `
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.exp, '-inf', now)) do
  if drop(P, id) then redis.call('HSET', K.gone, id, now) end
end
for _, key in ipairs(redis.call('ZRANGEBYSCORE', K.wins, '-inf', now, 'LIMIT', 0, 64)) do
  redis.call('HDEL', K.spent, key)
  redis.call('HDEL', K.reserved, key)
  redis.call('ZREM', K.wins, key)
end
`;

const RESERVE = `${DROP}
local P = ARGV[1]; local id = ARGV[2]; local amount = tonumber(ARGV[3]); local exp = ARGV[4]; local now = ARGV[5]
local n = tonumber(ARGV[6])
${SWEEP}
if redis.call('HEXISTS', K.res, id) == 1 then return {1} end -- a resent reserve (the client retried) holds once
for i = 0, n - 1 do
  local key = ARGV[7 + i * 2]; local limit = tonumber(ARGV[8 + i * 2])
  local used = tonumber(redis.call('HGET', K.spent, key) or '0') + tonumber(redis.call('HGET', K.reserved, key) or '0')
  if used + amount > limit then return {0, key, tostring(used), tostring(limit)} end
end
local keys = {}
for i = 0, n - 1 do
  local key = ARGV[7 + i * 2]
  redis.call('HINCRBY', K.reserved, key, amount)
  keys[#keys + 1] = key
end
redis.call('HSET', K.res, id, ARGV[3]..'|'..cjson.encode(keys))
redis.call('ZADD', K.exp, exp, id)
return {1}
`;

const COMMIT = `${DROP}
local P = ARGV[1]; local id = ARGV[2]; local actual = tonumber(ARGV[3])
local nk = tonumber(ARGV[4])
local base = 5 + nk
local nu = tonumber(ARGV[base])
local replay = ARGV[base + nu + 3]; local settled = KEYS[11]
if not drop(P, id) and redis.call('HDEL', K.gone, id) == 0 then
  -- Unknown id: settled already, unless a journal replay finds a store that lost it.
  if replay ~= '1' then return 0 end
  if redis.call('SISMEMBER', settled, id) == 1 then
    redis.call('EXPIRE', settled, 259200) -- a write: a WAIT after this replay also covers the commit it found
    return 0
  end
end
redis.call('SADD', settled, id)
redis.call('EXPIRE', settled, 259200)
for i = 1, nk do
  redis.call('HINCRBY', K.spent, ARGV[4 + i], actual)
  local ends = ARGV[base + nu + 7 + i]
  if ends ~= '' then redis.call('ZADD', K.wins, 'NX', ends, ARGV[4 + i]) end
end
for i = 1, nu do
  redis.call('HINCRBY', K.usage, ARGV[base + i], actual)
  redis.call('HINCRBY', K.calls, ARGV[base + i], 1)
end
local sf = ARGV[base + nu + 5]
if sf ~= '' then
  redis.call('HINCRBY', KEYS[13], sf, actual)
  redis.call('HINCRBY', KEYS[13], '#'..sf, 1)
  redis.call('EXPIRE', KEYS[13], ARGV[base + nu + 6])
end
local pay = ARGV[base + nu + 7]
if pay ~= '' then
  redis.call('LPUSH', KEYS[12], pay)
  redis.call('LTRIM', KEYS[12], 0, ${PAYMENT_LOG_SIZE - 1})
end
local q = ARGV[base + nu + 1]
if q ~= '' then
  local prev = redis.call('HGET', K.req, q)
  local micros = actual; local amb = ARGV[base + nu + 2]
  if prev then
    local sep = string.find(prev, '|', 1, true)
    micros = micros + tonumber(string.sub(prev, 1, sep - 1))
    if string.sub(prev, sep + 1) == '1' then amb = '1' end
  end
  redis.call('HSET', K.req, q, micros..'|'..amb)
end
local out = {1}
for i = 1, nk do
  out[#out + 1] = redis.call('HGET', K.spent, ARGV[4 + i]) or '0'
  out[#out + 1] = redis.call('HGET', K.reserved, ARGV[4 + i]) or '0'
end
return out
`;

const RELEASE = `${DROP}
local P = ARGV[1]; local id = ARGV[2]
if drop(P, id) or redis.call('HDEL', K.gone, id) == 1 then return 1 end
return 0
`;

const RENEW = `
local K = {spent = KEYS[1], reserved = KEYS[2], res = KEYS[3], exp = KEYS[4], gone = KEYS[5], usage = KEYS[6], calls = KEYS[7], req = KEYS[8], topup = KEYS[9], wins = KEYS[10]}
local P = ARGV[1]; local id = ARGV[2]
local at = redis.call('ZSCORE', K.exp, id)
if not at or tonumber(at) <= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', K.exp, ARGV[3], id)
return 1
`;

const COUNTERS = `${DROP}
local P = ARGV[1]; local now = ARGV[2]
${SWEEP}
local out = {}
for i = 3, #ARGV do
  out[#out + 1] = redis.call('HGET', K.spent, ARGV[i]) or '0'
  out[#out + 1] = redis.call('HGET', K.reserved, ARGV[i]) or '0'
end
return out
`;

const CLAIM_TOP_UP = `
local K = {spent = KEYS[1], reserved = KEYS[2], res = KEYS[3], exp = KEYS[4], gone = KEYS[5], usage = KEYS[6], calls = KEYS[7], req = KEYS[8], topup = KEYS[9], wins = KEYS[10]}
local P = ARGV[1]; local owner = ARGV[2]; local now = tonumber(ARGV[3]); local day = ARGV[4]; local amount = tonumber(ARGV[5])
local startedAt = tonumber(ARGV[6]); local maxCount = tonumber(ARGV[7]); local maxPerDay = tonumber(ARGV[8])
local minInterval = tonumber(ARGV[9]); local ttl = tonumber(ARGV[10])
local lastAt = tonumber(redis.call('HGET', K.topup, 'lastAt') or '0')
local lockUntil = tonumber(redis.call('HGET', K.topup, 'lockUntil') or '0')
local locked = lockUntil > now
if lastAt > startedAt and not locked then return 'done-by-other' end
if locked then return 'busy' end
local count = tonumber(redis.call('HGET', K.topup, 'count') or '0')
if count >= maxCount then return 'refused:maxCount' end
local today = tonumber(redis.call('HGET', K.topup, 'day:'..day) or '0')
if today + amount > maxPerDay then return 'refused:maxPerDay' end
if lastAt > 0 and now - lastAt < minInterval then return 'refused:minInterval:'..string.format('%d', lastAt + minInterval) end
redis.call('HINCRBY', K.topup, 'count', 1)
redis.call('HINCRBY', K.topup, 'day:'..day, amount)
redis.call('HSET', K.topup, 'lastAt', now, 'lockUntil', now + ttl, 'owner', owner, 'claimDay', day, 'claimAmount', amount, 'lastAtBefore', lastAt)
return 'claimed'
`;

const FINISH_TOP_UP = `
local K = {spent = KEYS[1], reserved = KEYS[2], res = KEYS[3], exp = KEYS[4], gone = KEYS[5], usage = KEYS[6], calls = KEYS[7], req = KEYS[8], topup = KEYS[9], wins = KEYS[10]}
local P = ARGV[1]; local owner = ARGV[2]; local ok = ARGV[3]; local now = ARGV[4]
if redis.call('HGET', K.topup, 'owner') ~= owner then return 0 end
redis.call('HSET', K.topup, 'lockUntil', 0, 'owner', '')
if ok == '1' then redis.call('HSET', K.topup, 'lastAt', now) end
if ok ~= '1' and redis.call('HEXISTS', K.topup, 'claimDay') == 1 then -- nothing was paid: the claim is given back
  local claimed = redis.call('HMGET', K.topup, 'claimDay', 'claimAmount', 'lastAtBefore')
  redis.call('HINCRBY', K.topup, 'count', -1)
  redis.call('HINCRBY', K.topup, 'day:'..claimed[1], 0 - tonumber(claimed[2]))
  redis.call('HSET', K.topup, 'lastAt', claimed[3])
end
redis.call('HDEL', K.topup, 'claimDay', 'claimAmount', 'lastAtBefore')
if ok == '1' and ARGV[5] ~= '' then
  redis.call('LPUSH', KEYS[12], ARGV[5])
  redis.call('LTRIM', KEYS[12], 0, ${PAYMENT_LOG_SIZE - 1})
end
return 1
`;

// Credits a refunded charge once per request id: at most what the request was charged, no counter below zero.
const REFUND = `
local K = {spent = KEYS[1], reserved = KEYS[2], res = KEYS[3], exp = KEYS[4], gone = KEYS[5], usage = KEYS[6], calls = KEYS[7], req = KEYS[8], topup = KEYS[9], wins = KEYS[10]}
local q = ARGV[2]; local micros = tonumber(ARGV[3]); local nk = tonumber(ARGV[4])
if redis.call('SISMEMBER', KEYS[14], q) == 1 then return '0' end
local prev = redis.call('HGET', K.req, q)
if not prev then return '0' end
local sep = string.find(prev, '|', 1, true)
local charged = tonumber(string.sub(prev, 1, sep - 1))
local amount = math.min(micros, charged)
if amount <= 0 then return '0' end
redis.call('SADD', KEYS[14], q)
redis.call('HSET', K.req, q, string.format('%d', charged - amount)..'|'..string.sub(prev, sep + 1))
local function lower(hash, field)
  local v = tonumber(redis.call('HGET', hash, field) or '')
  if v then redis.call('HSET', hash, field, string.format('%d', math.max(0, v - amount))) end
end
for i = 1, nk do lower(K.spent, ARGV[4 + i]) end
local nu = tonumber(ARGV[5 + nk])
for i = 1, nu do lower(K.usage, ARGV[5 + nk + i]) end
lower(KEYS[13], ARGV[6 + nk + nu])
return string.format('%d', amount)
`;

// Writes a job record only when its current state is the expected one ('' for none): a job settles once.
const SAVE_JOB = `
local cur = redis.call('HGET', KEYS[15], ARGV[2])
local state = ''
if cur then state = cjson.decode(cur).state end
if state ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[15], ARGV[2], ARGV[4])
return 1
`;

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

/**
 * Shared budget in Redis: every operation is one atomic Lua script, so any number of processes and
 * machines can reserve against the same limits. Reservations expire by TTL, so a dead process frees
 * its holds. Pass a connected ioredis or node-redis client; the store never closes it.
 */
export function redisStore({
  client,
  prefix = 'venice-x402:budget',
  volatile = false,
  replicas,
  replicaTimeoutMs = 2000,
}: {
  client: RedisLike;
  prefix?: string;
  /**
   * Accept a Redis that persists nothing (no AOF, no RDB snapshots): a restart forgets all spend, and the
   * budget starts again from zero. Refused by default.
   */
  volatile?: boolean;
  /**
   * Replicas that must have a reservation or commit before it counts (Redis `WAIT`, in the same round trip).
   * Replication is asynchronous: without it, a failover loses what the old master acknowledged but had not
   * sent on. An unconfirmed reservation is refused and freed; an unconfirmed commit waits in the budget's
   * journal and is replayed. Default: 1 for a cluster client, 0 for a single server.
   */
  replicas?: number;
  /**
   * How long a write waits for its replicas (default 2000 ms). A healthy replica answers in about a millisecond;
   * the wait only runs out when replication is stalled or cut, and a loaded machine can stall it for a moment.
   */
  replicaTimeoutMs?: number;
}): BudgetStore {
  // Every key of one budget carries the same hash tag, so they live in one slot: scripts that touch several of
  // them run on a Redis Cluster (and on managed services that enforce declared keys).
  const P = `${/\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`}:`;
  const KEYS = ['spent', 'reserved', 'res', 'exp', 'gone', 'usage', 'calls', 'req', 'topup', 'wins'].map(
    (k) => `${P}${k}`,
  );
  /**
   * The keys every script declares: the fixed ones, the settled-ids key of a day, the payment log, a day's series,
   * the refunded request ids and the job records.
   */
  const declared = (day = '-', seriesDay = '-') => [
    ...KEYS,
    `${P}settled:${day}`,
    `${P}pay`,
    `${P}series:${seriesDay}`,
    `${P}refunded`,
    `${P}jobs`,
  ];
  const isNodeRedisCluster = 'sendCommand' in client && 'masters' in client;
  const isCluster = isNodeRedisCluster || (client as { isCluster?: unknown }).isCluster === true;
  const replicaCount = replicas ?? (isCluster ? 1 : 0);
  if (!Number.isInteger(replicaCount) || replicaCount < 0 || !(replicaTimeoutMs > 0))
    throw new StoreError('redisStore: replicas must be a whole number ≥ 0 and replicaTimeoutMs a positive number', {
      details: { replicas: replicaCount, replicaTimeoutMs },
    });
  if (isNodeRedisCluster && replicaCount > 0 && typeof (client as any).getNodeClientForKey !== 'function')
    throw new StoreError(
      'redisStore: this node-redis cluster client cannot reach a slot master (no getNodeClientForKey): upgrade redis, or pass replicas: 0',
    );
  const confirmed = replicaCount > 0 ? confirmedSender(client, replicaCount, replicaTimeoutMs) : undefined;
  const send: (args: string[]) => Promise<unknown> =
    'call' in client && typeof client.call === 'function'
      ? (args) => (client as any).call(...args)
      : isNodeRedisCluster
        ? // node-redis cluster: routed by the first key (every key of ours is in one slot).
          (args) => (client as any).sendCommand(firstKeyOf(args), false, args)
        : 'sendCommand' in client && typeof client.sendCommand === 'function'
          ? (args) => (client as any).sendCommand(args)
          : () => {
              throw new StoreError('redisStore needs an ioredis or node-redis client');
            };

  /** Runs a script; with `confirm`, also answers how many replicas have it (WAIT, same round trip). */
  async function run(
    source: string,
    args: (string | number | bigint)[],
    { day, seriesDay, confirm = false }: { day?: string; seriesDay?: string; confirm?: boolean } = {},
  ): Promise<[any, number]> {
    const argv = args.map(String);
    const keys = declared(day, seriesDay);
    const exec = (verb: string, body: string) => {
      const command = [verb, body, String(keys.length), ...keys, ...argv];
      return confirm && confirmed
        ? confirmed(command, keys[0]!)
        : send(command).then((reply) => [reply, replicaCount] as [unknown, number]);
    };
    try {
      return await exec('EVALSHA', sha1(source));
    } catch (error) {
      if (!/NOSCRIPT/i.test(String((error as Error)?.message)))
        throw new StoreError('Redis budget operation failed', { cause: error, retryable: true });
      try {
        return await exec('EVAL', source);
      } catch (inner) {
        throw new StoreError('Redis budget operation failed', { cause: inner, retryable: true });
      }
    }
  }
  const script = async (source: string, args: (string | number | bigint)[]) => (await run(source, args))[0];
  const unconfirmed = (what: string, acked: number) =>
    new StoreError(
      `Redis did not confirm the ${what} on ${replicaCount} replica(s) within ${replicaTimeoutMs} ms: a failover now could lose it`,
      { retryable: true, details: { replicas: replicaCount, acknowledged: acked } },
    );

  const str = (v: unknown) => (Buffer.isBuffer(v) ? v.toString() : String(v));

  /** Once, before the first reservation: refuse a server that would forget spend on restart. */
  let persistence: Promise<void> | undefined;
  const checkPersistence = () =>
    (persistence ??= (async () => {
      if (volatile) return;
      let appendonly: string | undefined;
      let save: string | undefined;
      try {
        appendonly = pairs(await send(['CONFIG', 'GET', 'appendonly'])).get('appendonly');
        save = pairs(await send(['CONFIG', 'GET', 'save'])).get('save');
      } catch {
        return; // CONFIG is not allowed here (managed services): persistence cannot be checked
      }
      if (appendonly === 'no' && save === '') {
        throw new StoreError(
          'This Redis persists nothing (appendonly no, no save points): a restart would forget all spend. Enable AOF or RDB snapshots, or pass redisStore({ volatile: true }) to accept it',
          { details: { appendonly, save } },
        );
      }
    })().catch((error) => {
      persistence = undefined;
      throw error;
    }));

  return {
    async reserve(args) {
      await checkPersistence();
      const flat: (string | bigint)[] = [];
      for (const c of args.counters) flat.push(c.key, c.limit);
      const [r, acked] = await run(
        RESERVE,
        [P, args.id, args.amount, args.expiresAt, args.now, args.counters.length, ...flat],
        { confirm: true },
      );
      if (Number(r[0]) === 1 && acked < replicaCount) {
        // Fail closed: a hold a failover could forget would let others spend the same money.
        await script(RELEASE, [P, args.id]).catch(() => {}); // else it lapses with its TTL
        throw unconfirmed('reservation', acked);
      }
      if (Number(r[0]) === 1) return { ok: true };
      return { ok: false, key: str(r[1]), used: BigInt(str(r[2])), limit: BigInt(str(r[3])) };
    },
    async commit(args) {
      const usage = args.usage.scopes.map((scope) => `${scope}|${args.usage.model}|${args.usage.day}`);
      const hour = args.usage.hour ?? hourOf(args.now);
      const payment = args.paymentTx
        ? JSON.stringify({
            kind: 'payment',
            at: args.now,
            micros: String(args.actual),
            tx: args.paymentTx,
            requestId: args.requestId,
            model: args.usage.model,
            scopes: args.usage.scopes,
          })
        : '';
      const [applied, acked] = await run(
        COMMIT,
        [
          P,
          args.id,
          args.actual,
          args.keys.length,
          ...args.keys,
          usage.length,
          ...usage,
          args.requestId ?? '',
          args.ambiguous ? '1' : '0',
          args.replay ? '1' : '0',
          args.usage.day,
          JSON.stringify([hour, args.usage.model, args.usage.scopes]),
          SERIES_TTL_SECONDS,
          payment,
          ...args.keys.map((key) => windowExpiry(key) ?? ''),
        ],
        { day: args.usage.day, seriesDay: hour.slice(0, 10), confirm: true },
      );
      // Applied, or found settled by a replay, but maybe not on a replica: the budget journals it and replays it
      // (settle-once) until a replica has it.
      if ((Array.isArray(applied) || args.replay) && acked < replicaCount) throw unconfirmed('commit', acked);
      if (!Array.isArray(applied)) return { ok: false };
      const counters = new Map<string, CounterState>();
      args.keys.forEach((key, i) => {
        counters.set(key, { spent: BigInt(str(applied[1 + i * 2])), reserved: BigInt(str(applied[2 + i * 2])) });
      });
      return { ok: true, counters };
    },
    async release(id) {
      return Number(await script(RELEASE, [P, id])) === 1;
    },
    async renew(id, expiresAt, now) {
      return Number(await script(RENEW, [P, id, expiresAt, now])) === 1;
    },
    async counters(keys, now) {
      const r: unknown[] = await script(COUNTERS, [P, now, ...keys]);
      const out = new Map<string, CounterState>();
      keys.forEach((key, i) => {
        out.set(key, { spent: BigInt(str(r[i * 2])), reserved: BigInt(str(r[i * 2 + 1])) });
      });
      return out;
    },
    async usage() {
      const [micros, calls] = (await Promise.all([
        send(['HGETALL', `${P}usage`]),
        send(['HGETALL', `${P}calls`]),
      ])) as unknown[];
      const m = pairs(micros);
      const c = pairs(calls);
      const rows: UsageRow[] = [];
      for (const [field, value] of m) {
        const [scope, model, day] = field.split('|') as [string, string, string];
        rows.push({ scope, model, day, micros: BigInt(value), calls: Number(c.get(field) ?? 0) });
      }
      return rows;
    },
    async requests() {
      const out = new Map<string, RequestRecord>();
      for (const [id, value] of pairs(await send(['HGETALL', `${P}req`]))) {
        const [micros, amb] = value.split('|');
        out.set(id, { micros: BigInt(micros!), ambiguous: amb === '1' });
      }
      return out;
    },
    async claimTopUp(a) {
      const r = str(
        await script(CLAIM_TOP_UP, [
          P,
          a.owner,
          a.now,
          a.day,
          a.amount,
          a.startedAt,
          a.maxCount,
          a.maxPerDay,
          a.minIntervalMs,
          a.lockTtlMs,
        ]),
      );
      if (r.startsWith('refused:')) {
        const [, reason, retryAt] = r.split(':');
        return {
          status: 'refused',
          reason: reason as 'maxCount' | 'maxPerDay' | 'minInterval',
          retryAt: retryAt ? Number(retryAt) : undefined,
        };
      }
      return { status: r as 'claimed' | 'done-by-other' | 'busy' };
    },
    async finishTopUp(owner, ok, now, topUp) {
      const record = topUp
        ? JSON.stringify({ kind: 'topup', at: now, micros: String(topUp.micros), tx: topUp.tx })
        : '';
      await script(FINISH_TOP_UP, [P, owner, ok ? '1' : '0', now, record]);
    },
    async series(fromHour, toHour = hourOf(Date.now())) {
      const out: SeriesRow[] = [];
      const days = daysBetween(fromHour, toHour);
      const replies = await Promise.all(days.map((day) => send(['HGETALL', `${P}series:${day}`])));
      for (const reply of replies) {
        const fields = pairs(reply);
        for (const [field, micros] of fields) {
          if (field.startsWith('#')) continue;
          const [hour, model, scopes] = JSON.parse(field) as [string, string, string[]];
          if (hour < fromHour || hour > toHour) continue;
          out.push({ hour, model, scopes, micros: BigInt(micros), calls: Number(fields.get(`#${field}`) ?? 0) });
        }
      }
      return out;
    },
    async holds(now) {
      const [res, exp] = (await Promise.all([
        send(['HGETALL', `${P}res`]),
        send(['ZRANGE', `${P}exp`, '0', '-1', 'WITHSCORES']),
      ])) as unknown[];
      const expiries = pairs(exp);
      const out: HoldRecord[] = [];
      for (const [id, value] of pairs(res)) {
        const expiresAt = Number(expiries.get(id));
        if (!(expiresAt > now)) continue;
        const sep = value.indexOf('|');
        const keys: unknown = JSON.parse(value.slice(sep + 1));
        out.push({ id, micros: BigInt(value.slice(0, sep)), keys: Array.isArray(keys) ? keys : [], expiresAt });
      }
      return out;
    },
    async payments(limit = PAYMENT_LOG_SIZE) {
      if (limit <= 0) return [];
      const items = (await send(['LRANGE', `${P}pay`, '0', String(limit - 1)])) as unknown[];
      return items.map((item) => {
        const p = JSON.parse(str(item));
        return { ...p, micros: BigInt(p.micros) } as PaymentRecord;
      });
    },
    async refund(args) {
      const hour = args.usage.hour ?? hourOf(args.now);
      const usage = args.usage.scopes.map((scope) => `${scope}|${args.usage.model}|${args.usage.day}`);
      const series = JSON.stringify([hour, args.usage.model, args.usage.scopes]);
      const [credited] = await run(
        REFUND,
        [P, args.requestId, args.micros, args.keys.length, ...args.keys, usage.length, ...usage, series],
        { seriesDay: hour.slice(0, 10) },
      );
      return BigInt(str(credited));
    },
    async saveJob(job, expected) {
      return Number(await script(SAVE_JOB, [P, job.id, expected ?? '', JSON.stringify(jobToJson(job))])) === 1;
    },
    async jobs() {
      return [...pairs(await send(['HGETALL', `${P}jobs`])).values()].map((v) => jobFromJson(JSON.parse(v) as JobJson));
    },
    async job(id) {
      const v = await send(['HGET', `${P}jobs`, id]);
      return v == null ? undefined : jobFromJson(JSON.parse(str(v)) as JobJson);
    },
    async getPin(key) {
      const v = await send(['HGET', `${P}pins`, key]);
      return v == null ? undefined : str(v);
    },
    async setPinIfAbsent(key, value) {
      await send(['HSETNX', `${P}pins`, key, value.toLowerCase()]);
      return str(await send(['HGET', `${P}pins`, key]));
    },
    async close() {},
  };
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

/** The key a command is routed by: the first declared key of EVAL / EVALSHA, else the first argument. */
function firstKeyOf(args: string[]): string | undefined {
  const verb = args[0]?.toUpperCase();
  return verb === 'EVAL' || verb === 'EVALSHA' ? args[3] : args[1];
}

/** HGETALL comes back as a flat array (ioredis `call`, RESP2), pairs, or an object/Map (node-redis, RESP3). */
function pairs(reply: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const s = (v: unknown) => (Buffer.isBuffer(v) ? v.toString() : String(v));
  if (Array.isArray(reply) && reply.length > 0 && reply.every(Array.isArray))
    for (const [k, v] of reply) out.set(s(k), s(v)); // RESP3 pairs (ZRANGE … WITHSCORES)
  else if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out.set(s(reply[i]), s(reply[i + 1]));
  else if (reply instanceof Map) for (const [k, v] of reply) out.set(s(k), s(v));
  else if (reply && typeof reply === 'object') for (const [k, v] of Object.entries(reply)) out.set(k, s(v));
  return out;
}
