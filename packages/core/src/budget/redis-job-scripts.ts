/**
 * The Redis store's refund and job-record scripts (prefixed with `LUA_PRELUDE` when run, like the others).
 */

/** Longest job retention the script takes: ten years in ms (as `checkJobRetention`). */
const MAX_JOB_RETENTION_MS = 10 * 365 * 86_400_000;

const MONTH = `'^%d%d%d%d%-%d%d$'`;

/**
 * `{request, micros, month, keys, usage, series}` → the micro-USD credited ('0': refunded before, or a request this
 * budget never charged). Once per request id; at most what the request was charged; no counter below zero.
 */
export const REFUND = `
local A, err = input(function(A)
  text(A.request, 'request')
  micros(A.micros, 'micros')
  if type(A.month) ~= 'string' or not string.find(A.month, ${MONTH}) then bad('month', 'must be YYYY-MM') end
  list(A.keys, 'keys', text)
  list(A.usage, 'usage', text)
  text(A.series, 'series')
end)
if not A then return err end
if redis.call('HEXISTS', K.refunded, A.request) == 1 then return '0' end
local prev = redis.call('HGET', K.requests, A.request)
if not prev then return '0' end
local ok, p = pcall(cjson.decode, prev)
if not ok or type(p) ~= 'table' or not isDecimal(p[1]) then return '0' end
local amount = cmp(A.micros, p[1]) <= 0 and A.micros or p[1]
if amount == '0' then return '0' end
-- v - amount for canonical decimals, never below 0
local function less(v)
  if cmp(v, amount) <= 0 then return '0' end
  if #v < 16 then return string.format('%.0f', tonumber(v) - tonumber(amount)) end
  local out, borrow, i, j = {}, 0, #v, #amount
  while i > 0 do
    local d = string.byte(v, i) - 48 - borrow - (j > 0 and string.byte(amount, j) - 48 or 0)
    if d < 0 then d = d + 10; borrow = 1 else borrow = 0 end
    out[#out + 1] = string.char(48 + d)
    i = i - 1
    j = j - 1
  end
  return (string.gsub(string.reverse(table.concat(out)), '^0+', ''))
end
local function lower(hash, field)
  local cur = redis.call('HGET', hash, field)
  if cur then redis.call('HSET', hash, field, less(stored(cur))) end
end
redis.call('HSET', K.refunded, A.request, amount)
redis.call('HSET', K.requests, A.request, cjson.encode({less(p[1]), p[2] == true}))
for _, key in ipairs(A.keys) do lower(K.spent, key) end
for _, field in ipairs(A.usage) do lower(K.usage, field) end
lower(K.series, A.series)
return amount
`;

/**
 * `{id, expected, record, retention}` → 1 written (the record's state was `expected`, '' for none), 0 when it was
 * not. First forgets settled records (failed, completed) that settled more than `retention` ms ago by the server's
 * clock, at most 100 a call; a queued or delivered record is never forgotten.
 */
export const SAVE_JOB = `
local A, err = input(function(A)
  text(A.id, 'id')
  text(A.record, 'record')
  if type(A.expected) ~= 'string' then bad('expected', 'must be a string') end
  whole(A.retention, 'retention', 0, ${MAX_JOB_RETENTION_MS})
end)
if not A then return err end
local function stateOf(value)
  if not value then return '' end
  local ok, j = pcall(cjson.decode, value)
  if ok and type(j) == 'table' and type(j.state) == 'string' then return j.state end
  return '?'
end
local function settled(state) return state == 'failed' or state == 'completed' end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.jobsSettled, '-inf', ms(now - A.retention), 'LIMIT', 0, 100)) do
  if settled(stateOf(redis.call('HGET', K.jobs, id))) then redis.call('HDEL', K.jobs, id) end
  redis.call('ZREM', K.jobsSettled, id)
end
local state = stateOf(redis.call('HGET', K.jobs, A.id))
if state == '?' then state = '' end
if state ~= A.expected then return 0 end
local next = stateOf(A.record)
redis.call('HSET', K.jobs, A.id, A.record)
if not settled(next) then redis.call('ZREM', K.jobsSettled, A.id)
elseif not redis.call('ZSCORE', K.jobsSettled, A.id) then redis.call('ZADD', K.jobsSettled, ms(now), A.id) end
return 1
`;
