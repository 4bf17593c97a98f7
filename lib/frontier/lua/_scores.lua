-- Queue scores and backlog counters, shared by the frontier scripts (inlined by --#include).
--
-- Our score = -priority * 2^36 + seq, seq in [2^20, 2^36 - 2^20): the highest priority pops
-- first and, among equal priorities, the oldest. Scrapy Cluster writes -priority, always within
-- 2^20 of 0, where ours never are: such a "foreign" request is read at its priority and, once
-- rescored to ours, counted. Priorities are clamped to +-100000 to stay exact in a double, and
-- scores are formatted with %.0f because redis.call would print only 14 significant digits.
-- Counter field (<spiderid>:<domain>:backlog): "<appid>\t<crawlid>\t<priority>".
local SCALE, FOREIGN = 68719476736, 1048576
local SEQ_SPAN = SCALE - 2 * FOREIGN

local function is_foreign(score)
  return math.abs(score) < FOREIGN
end

local function clamp_priority(priority)
  priority = math.floor(priority)
  if priority > 100000 then return 100000 elseif priority < -100000 then return -100000 end
  return priority
end

local function priority_of(score)
  if is_foreign(score) then return clamp_priority(-score + 0.5) end
  local priority = -math.floor(score / SCALE)
  if priority == 0 then return 0 end -- not -0: tostring(-0) is "-0", a counter field of its own
  return priority
end

-- A fresh score of ours for a priority, from the shard's FIFO counter.
local function our_score(priority, seq_key)
  local seq = FOREIGN + redis.call('INCR', seq_key) % SEQ_SPAN
  return string.format('%.0f', -priority * SCALE + seq)
end

-- The counter field of a request (nil for a member that is not a JSON object).
local function field_of(member, priority)
  local ok, req = pcall(cjson.decode, member)
  if not ok or type(req) ~= 'table' then return nil end
  return tostring(req.appid) .. '\t' .. tostring(req.crawlid) .. '\t' .. priority
end

local function count(backlog, field, n)
  if field == nil then return end
  if redis.call('HINCRBY', backlog, field, n) <= 0 then redis.call('HDEL', backlog, field) end
end

-- Rescores up to `limit` foreign requests of a queue, in their current order (Scrapy Cluster's
-- own: score, then member), and counts them. Returns how many.
local function adopt_foreign(queue, backlog, seq_key, limit)
  local found = redis.call('ZRANGEBYSCORE', queue, '(-' .. FOREIGN, '(' .. FOREIGN,
    'WITHSCORES', 'LIMIT', 0, limit)
  for i = 1, #found, 2 do
    local priority = priority_of(tonumber(found[i + 1]))
    redis.call('ZADD', queue, our_score(priority, seq_key), found[i])
    count(backlog, field_of(found[i], priority), 1)
  end
  return #found / 2
end
