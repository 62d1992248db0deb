/**
 * The Redis store's refund and job-record scripts (prefixed with `LUA_PRELUDE` when run, like the others).
 */

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

/** `{id, expected, record}` → 1 written (the record's state was `expected`, '' for none), 0 when it was not. */
export const SAVE_JOB = `
local A, err = input(function(A)
  text(A.id, 'id')
  text(A.record, 'record')
  if type(A.expected) ~= 'string' then bad('expected', 'must be a string') end
end)
if not A then return err end
local state = ''
local cur = redis.call('HGET', K.jobs, A.id)
if cur then
  local ok, j = pcall(cjson.decode, cur)
  if ok and type(j) == 'table' and type(j.state) == 'string' then state = j.state end
end
if state ~= A.expected then return 0 end
redis.call('HSET', K.jobs, A.id, A.record)
return 1
`;
