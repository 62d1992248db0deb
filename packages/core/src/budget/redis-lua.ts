import { LUA_KEY_TABLE } from './redis-keys.js';

/** Largest amount or limit a script takes: 10^15 micro-USD ($1bn), as the budget's own bound. */
export const MAX_MICROS = 10n ** 15n;
/** How long a settled or expired reservation id is remembered (between one and two of these). */
export const SETTLED_RETENTION_MS = 3 * 86_400_000;
/** Longest hold a script takes (the policy allows a day). */
export const MAX_TTL_MS = 7 * 86_400_000;
/** A month's request records outlive their last write by this: the current month and the last one are kept. */
export const REQUEST_TTL_SECONDS = 62 * 86_400;

/**
 * What every script starts with. The argument is ONE JSON object (`ARGV[1]`); `input(check)` decodes it and runs
 * `check`, which raises `bad(field, why)` for anything out of bounds, before the script writes anything. Micro-USD
 * amounts travel and are stored as decimal strings and are added digit by digit (Lua numbers are doubles, exact
 * only to 2^53), and `now` is the server's clock (`TIME`), never a client's.
 */
export const LUA_PRELUDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
${LUA_KEY_TABLE}
local MAX = '${MAX_MICROS}'
local INT64 = '9223372036854775807'
local function bad(field, why) error({vx = field .. ' ' .. why}) end
local function isDecimal(v) return type(v) == 'string' and string.find(v, '^%d+$') ~= nil and (#v == 1 or string.sub(v, 1, 1) ~= '0') end
-- compares two canonical non-negative decimal strings
local function cmp(a, b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  if a == b then return 0 end
  return a < b and -1 or 1
end
local function add(a, b)
  if #a < 16 and #b < 16 then return string.format('%.0f', tonumber(a) + tonumber(b)) end -- exact below 2^53
  local out, carry, i, j = {}, 0, #a, #b
  while i > 0 or j > 0 or carry > 0 do
    local s = carry + (i > 0 and string.byte(a, i) - 48 or 0) + (j > 0 and string.byte(b, j) - 48 or 0)
    out[#out + 1] = string.char(48 + s % 10)
    carry = math.floor(s / 10)
    i = i - 1
    j = j - 1
  end
  return string.reverse(table.concat(out))
end
local function micros(v, field)
  if not isDecimal(v) or cmp(v, MAX) > 0 then bad(field, 'must be whole micro-USD from 0 to ' .. MAX .. ', as a decimal string') end
  return v
end
local function text(v, field)
  if type(v) ~= 'string' or v == '' then bad(field, 'must be a non-empty string') end
  return v
end
local function whole(v, field, lo, hi)
  if type(v) ~= 'number' or v ~= math.floor(v) or v < lo or v > hi then bad(field, 'must be a whole number from ' .. lo .. ' to ' .. string.format('%.0f', hi)) end
  return v
end
local function flag(v, field)
  if v ~= nil and type(v) ~= 'boolean' then bad(field, 'must be true or false') end
  return v == true
end
local function list(v, field, each)
  if type(v) ~= 'table' then bad(field, 'must be a list') end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  if n ~= #v then bad(field, 'must be a list') end
  if each then for i, item in ipairs(v) do each(item, field .. '[' .. (i - 1) .. ']') end end
  return v
end
local function input(check)
  local ok, A = pcall(function()
    local ok2, A = pcall(cjson.decode, ARGV[1] or '')
    if not ok2 or type(A) ~= 'table' then bad('argument', 'must be one JSON object') end
    check(A)
    return A
  end)
  if ok then return A end
  if type(A) == 'table' and A.vx then return nil, redis.error_reply('VX402_INVALID ' .. A.vx) end
  return nil, redis.error_reply('VX402_INVALID argument ' .. tostring(A))
end
-- a counter as stored: missing is 0, and a negative one (never written by this version) counts as 0
local function stored(v)
  if not v then return '0' end
  if string.find(v, '^[1-9]%d*$') then return v end -- what HINCRBY writes
  if string.find(v, '^%-%d+$') or string.find(v, '^0+$') then return '0' end
  if not string.find(v, '^%d+$') then error({vx = 'stored counter is not a number'}) end
  return (string.gsub(v, '^0+', ''))
end
local function ms(v) return string.format('%.0f', v) end
local T = redis.call('TIME')
local now = tonumber(T[1]) * 1000 + math.floor(tonumber(T[2]) / 1000)

local function hold(id)
  local r = redis.call('HGET', K.holds, id)
  if not r then return nil end
  local ok, h = pcall(cjson.decode, r)
  if not ok or type(h) ~= 'table' or not isDecimal(h.a) or type(h.k) ~= 'table' then return {a = '0', k = {}} end
  return h
end
-- frees a reservation's hold on every counter it touched
local function drop(id)
  local h = hold(id)
  if not h then return false end
  if h.a ~= '0' then
    for _, key in ipairs(h.k) do
      -- never below 0 (a window's counters may have been swept under a long-renewed hold)
      if redis.call('HINCRBY', K.reserved, key, '-' .. h.a) < 0 then redis.call('HDEL', K.reserved, key) end
    end
  end
  redis.call('HDEL', K.holds, id)
  redis.call('ZREM', K.expiries, id)
  return true
end
local function settledAs(id) return redis.call('HGET', K.settled, id) or redis.call('HGET', K.settledOld, id) end
local function wasGone(id) return redis.call('HEXISTS', K.gone, id) == 1 or redis.call('HEXISTS', K.goneOld, id) == 1 end
local function forget(id)
  redis.call('HDEL', K.gone, id)
  redis.call('HDEL', K.goneOld, id)
end
-- settled and expired ids are kept in two generations: the older one is dropped every ${SETTLED_RETENTION_MS} ms
local function rotate()
  local since = tonumber(redis.call('HGET', K.meta, 'rotatedAt') or '')
  if since and now - since < ${SETTLED_RETENTION_MS} then return end
  if since then
    for _, pair in ipairs({{K.settled, K.settledOld}, {K.gone, K.goneOld}}) do
      if redis.call('EXISTS', pair[1]) == 1 then redis.call('RENAME', pair[1], pair[2]) else redis.call('DEL', pair[2]) end
    end
  end
  redis.call('HSET', K.meta, 'rotatedAt', ms(now))
  -- months whose request records expired leave the index
  redis.call('ZREMRANGEBYSCORE', K.requestMonths, '-inf', ms(now - ${REQUEST_TTL_SECONDS * 1000}))
end
-- expired holds are freed (and remembered in 'gone'); counters of windows that ended are removed, a few at a time
local function sweep()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.expiries, '-inf', ms(now), 'LIMIT', 0, 256)) do
    if drop(id) then redis.call('HSET', K.gone, id, ms(now)) end
    redis.call('ZREM', K.expiries, id)
  end
  for _, key in ipairs(redis.call('ZRANGEBYSCORE', K.windows, '-inf', ms(now), 'LIMIT', 0, 64)) do
    redis.call('HDEL', K.spent, key)
    redis.call('HDEL', K.reserved, key)
    redis.call('ZREM', K.windows, key)
  end
  rotate()
end
local function counters(keys)
  local out = {}
  for _, key in ipairs(keys) do
    out[#out + 1] = stored(redis.call('HGET', K.spent, key))
    out[#out + 1] = stored(redis.call('HGET', K.reserved, key))
  end
  return out
end
`;
