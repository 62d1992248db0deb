import { MAX_TTL_MS, REQUEST_TTL_SECONDS } from './redis-lua.js';
import { PAYMENT_LOG_SIZE, REFUSAL_LOG_SIZE, SERIES_RETENTION_HOURS } from './store.js';

/**
 * The budget's Lua scripts. Each takes one JSON object (see the `input` of each), validates all of it before its
 * first write, and is prefixed with `LUA_PRELUDE` when run.
 */

/** A day's series key outlives its last hour by the retention (plus a day of slack). */
const SERIES_TTL_SECONDS = (SERIES_RETENTION_HOURS + 24) * 3600;
const MONTH = `'^%d%d%d%d%-%d%d$'`;
const DAY = `'^%d%d%d%d%-%d%d%-%d%d$'`;

/** `{id, amount, ttl, counters: [[key, limit], …]}` → `{1}` held, or `{0, key, spent, reserved, limit}` refused. */
export const RESERVE = `
local A, err = input(function(A)
  text(A.id, 'id')
  micros(A.amount, 'amount')
  whole(A.ttl, 'ttl', 1, ${MAX_TTL_MS})
  list(A.counters, 'counters', function(c, field)
    list(c, field)
    text(c[1], field .. '.key')
    micros(c[2], field .. '.limit')
  end)
end)
if not A then return err end
sweep()
if redis.call('HEXISTS', K.holds, A.id) == 1 then return {1} end -- a resent reserve (the client retried) holds once
for _, c in ipairs(A.counters) do
  local spent = stored(redis.call('HGET', K.spent, c[1]))
  local reserved = stored(redis.call('HGET', K.reserved, c[1]))
  if cmp(add(add(spent, reserved), A.amount), c[2]) > 0 then return {0, c[1], spent, reserved, c[2]} end
end
local keys = {}
for _, c in ipairs(A.counters) do
  if A.amount ~= '0' then redis.call('HINCRBY', K.reserved, c[1], A.amount) end
  keys[#keys + 1] = c[1]
end
redis.call('HSET', K.holds, A.id, cjson.encode({a = A.amount, k = keys}))
redis.call('ZADD', K.expiries, ms(now + A.ttl), A.id)
return {1}
`;

/**
 * `{id, actual, keys, ends, usage, request?, ambiguous?, replay?, month?, series?, payment?}` →
 * `{1, 'applied' | 'again', spent, reserved, …}` (counters of `keys`), or `{0}`: settled before otherwise,
 * released, or unknown. Committing the same id at the same amount (and ambiguity) again is success and changes
 * nothing: a client that resent the script after a reconnect.
 */
export const COMMIT = `
local A, err = input(function(A)
  text(A.id, 'id')
  micros(A.actual, 'actual')
  list(A.keys, 'keys', text)
  list(A.ends, 'ends', function(v, field) whole(v, field, 0, 1e15) end)
  if #A.ends ~= #A.keys then bad('ends', 'must have one entry per key') end
  list(A.usage, 'usage', text)
  if A.request ~= nil then
    text(A.request, 'request')
    if type(A.month) ~= 'string' or not string.find(A.month, ${MONTH}) then bad('month', 'must be YYYY-MM') end
  end
  flag(A.ambiguous, 'ambiguous')
  flag(A.replay, 'replay')
  if A.series ~= nil then text(A.series, 'series') end
  if A.payment ~= nil then text(A.payment, 'payment') end
end)
if not A then return err end
local settlement = cjson.encode({A.actual, A.ambiguous == true})
local held = hold(A.id) ~= nil
if not held and not wasGone(A.id) then
  local prior = settledAs(A.id)
  if prior == settlement then
    redis.call('HSET', K.meta, 'touchedAt', ms(now)) -- a write: a WAIT after this also covers the commit it found
    local out = counters(A.keys)
    table.insert(out, 1, 'again')
    table.insert(out, 1, 1)
    return out
  end
  if prior or not A.replay then return {0} end -- unknown: settled already, unless a journal replay finds a store that lost it
end
-- Nothing is written unless every counter can take the amount.
local overflow = redis.error_reply('VX402_INVALID actual would overflow a counter')
local function fits(hash, field)
  local cur = stored(redis.call('HGET', hash, field))
  return #cur < 18 or cmp(add(cur, A.actual), INT64) <= 0
end
local spentAfter = {}
for i, key in ipairs(A.keys) do
  spentAfter[i] = add(stored(redis.call('HGET', K.spent, key)), A.actual)
  if cmp(spentAfter[i], INT64) > 0 then return overflow end
end
for _, field in ipairs(A.usage) do if not fits(K.usage, field) then return overflow end end
if A.series and not fits(K.series, A.series) then return overflow end
if held then drop(A.id) else forget(A.id) end
redis.call('HSET', K.settled, A.id, settlement)
local out = {1, 'applied'}
for i, key in ipairs(A.keys) do
  redis.call('HINCRBY', K.spent, key, A.actual)
  out[#out + 1] = spentAfter[i]
  out[#out + 1] = stored(redis.call('HGET', K.reserved, key))
  if A.ends[i] > 0 then redis.call('ZADD', K.windows, 'NX', ms(A.ends[i]), key) end
end
for _, field in ipairs(A.usage) do
  redis.call('HINCRBY', K.usage, field, A.actual)
  redis.call('HINCRBY', K.calls, field, 1)
end
if A.series then
  redis.call('HINCRBY', K.series, A.series, A.actual)
  redis.call('HINCRBY', K.series, '#' .. A.series, 1)
  redis.call('EXPIRE', K.series, ${SERIES_TTL_SECONDS})
end
if A.payment then
  redis.call('LPUSH', K.payments, A.payment)
  redis.call('LTRIM', K.payments, 0, ${PAYMENT_LOG_SIZE - 1})
end
if A.request then
  local record = {A.actual, A.ambiguous == true}
  local prev = redis.call('HGET', K.requests, A.request)
  if prev then
    local ok, p = pcall(cjson.decode, prev)
    if ok and type(p) == 'table' and isDecimal(p[1]) then record = {add(p[1], A.actual), p[2] == true or A.ambiguous == true} end
  end
  redis.call('HSET', K.requests, A.request, cjson.encode(record))
  redis.call('EXPIRE', K.requests, ${REQUEST_TTL_SECONDS})
  redis.call('ZADD', K.requestMonths, ms(now), A.month)
end
return out
`;

/** `{id}` → 1 freed (or freed before: a resent release), 0 when it was committed. */
export const RELEASE = `
local A, err = input(function(A) text(A.id, 'id') end)
if not A then return err end
if drop(A.id) or wasGone(A.id) then
  forget(A.id)
  redis.call('HSET', K.settled, A.id, 'released')
  return 1
end
if settledAs(A.id) == 'released' then return 1 end
return 0
`;

/** `{id, ttl}` → 1 when the hold was live (by the server's clock) and now lives `ttl` ms more, else 0. */
export const RENEW = `
local A, err = input(function(A)
  text(A.id, 'id')
  whole(A.ttl, 'ttl', 1, ${MAX_TTL_MS})
end)
if not A then return err end
local at = redis.call('ZSCORE', K.expiries, A.id)
if not at or tonumber(at) <= now then return 0 end
redis.call('ZADD', K.expiries, ms(now + A.ttl), A.id)
return 1
`;

/** `{keys}` → spent, reserved of each key (after a sweep). */
export const COUNTERS = `
local A, err = input(function(A) list(A.keys, 'keys', text) end)
if not A then return err end
sweep()
return counters(A.keys)
`;

/** `{}` → `{now, id, hold JSON, expiry, …}` for the holds that are live by the server's clock. */
export const HOLDS = `
local out = {ms(now)}
local expiries = redis.call('ZRANGEBYSCORE', K.expiries, '(' .. ms(now), '+inf', 'WITHSCORES')
for i = 1, #expiries, 2 do
  local r = redis.call('HGET', K.holds, expiries[i])
  if r then
    out[#out + 1] = expiries[i]
    out[#out + 1] = r
    out[#out + 1] = expiries[i + 1]
  end
end
return out
`;

/**
 * `{owner, day, amount, age, maxCount, maxPerDay, minInterval, lockTtl}` → 'claimed' | 'done-by-other' | 'busy' |
 * 'refused:<reason>'. Times are the server's: `age` is how long ago (ms) the caller's failing request started.
 */
export const CLAIM_TOP_UP = `
local A, err = input(function(A)
  text(A.owner, 'owner')
  if type(A.day) ~= 'string' or not string.find(A.day, ${DAY}) then bad('day', 'must be YYYY-MM-DD') end
  micros(A.amount, 'amount')
  micros(A.maxPerDay, 'maxPerDay')
  whole(A.age, 'age', 0, 1e15)
  whole(A.maxCount, 'maxCount', 0, 1e15)
  whole(A.minInterval, 'minInterval', 0, 1e15)
  whole(A.lockTtl, 'lockTtl', 1, 1e15)
end)
if not A then return err end
local startedAt = now - A.age
local lastAt = tonumber(redis.call('HGET', K.topUp, 'lastAt') or '0')
local locked = tonumber(redis.call('HGET', K.topUp, 'lockUntil') or '0') > now
if lastAt > startedAt and not locked then return 'done-by-other' end
if locked then return 'busy' end
if tonumber(redis.call('HGET', K.topUp, 'count') or '0') >= A.maxCount then return 'refused:maxCount' end
local today = stored(redis.call('HGET', K.topUp, 'day:' .. A.day))
if cmp(add(today, A.amount), A.maxPerDay) > 0 then return 'refused:maxPerDay' end
if lastAt > 0 and now - lastAt < A.minInterval then return 'refused:minInterval:' .. ms(lastAt + A.minInterval) end
redis.call('HINCRBY', K.topUp, 'count', 1)
redis.call('HINCRBY', K.topUp, 'day:' .. A.day, A.amount)
-- What a failed top-up gives back (nothing paid): its count, its day's amount and the interval it started.
redis.call('HSET', K.topUp, 'lastAt', ms(now), 'lockUntil', ms(now + A.lockTtl), 'owner', A.owner,
  'claimDay', A.day, 'claimAmount', A.amount, 'lastAtBefore', ms(lastAt))
return 'claimed'
`;

/** `{owner, ok, record?}`: ends a claimed top-up; a successful one's record goes to the payment log. */
/** Appends one refusal (JSON, checked by the caller) to the bounded refusal log and counts it. */
export const LOG_REFUSAL = `
local A, err = input(function(A) text(A.record, 'record') end)
if not A then return err end
redis.call('LPUSH', K.refusals, A.record)
redis.call('LTRIM', K.refusals, 0, ${REFUSAL_LOG_SIZE - 1})
redis.call('INCR', K.refusalTotal)
return 1
`;

export const FINISH_TOP_UP = `
local A, err = input(function(A)
  text(A.owner, 'owner')
  flag(A.ok, 'ok')
  if A.record ~= nil then text(A.record, 'record') end
end)
if not A then return err end
if redis.call('HGET', K.topUp, 'owner') ~= A.owner then return 0 end
redis.call('HSET', K.topUp, 'lockUntil', 0, 'owner', '')
if A.ok then redis.call('HSET', K.topUp, 'lastAt', ms(now)) end
local claimed = redis.call('HMGET', K.topUp, 'claimDay', 'claimAmount', 'lastAtBefore')
if not A.ok and claimed[1] then -- nothing was paid: the claim is given back
  redis.call('HINCRBY', K.topUp, 'count', -1)
  if claimed[2] ~= '0' then redis.call('HINCRBY', K.topUp, 'day:' .. claimed[1], '-' .. claimed[2]) end
  redis.call('HSET', K.topUp, 'lastAt', claimed[3])
end
redis.call('HDEL', K.topUp, 'claimDay', 'claimAmount', 'lastAtBefore')
if A.ok and A.record then
  redis.call('LPUSH', K.payments, A.record)
  redis.call('LTRIM', K.payments, 0, ${PAYMENT_LOG_SIZE - 1})
end
return 1
`;
