--[[
  queue_adopt: makes one domain queue fully ours, whoever wrote into it (Scrapy Cluster's
  kafka-monitor or scheduler, a script, an older version): its requests are scheduled and
  counted like those we enqueue. Run by the periodic sweep (adopt.ts) and `deno task migrate`.

  1. Requests scored within 2^20 of 0 (Scrapy Cluster's score = -priority; ours are never
     there, see enqueue.lua) get our score for that priority, up to ARGV[2] per call, in their
     current order (Scrapy Cluster's own: score, then member), which keeps their FIFO order,
     and are counted in the backlog.
  2. The domain joins the index (NX: a scheduled domain keeps its time); an empty queue leaves it.
  3. When nothing foreign is left and the queue has at most ARGV[3] requests, the counters are
     compared with the queue and rebuilt from it if they differ (requests another program
     removed or added by hand).

  KEYS[1]  <spiderid>:<domain>:queue
  KEYS[2]  <spiderid>:<domain>:backlog
  KEYS[3]  <spiderid>:queue_index
  KEYS[4]  <spiderid>:queue_seq
  ARGV[1]  the domain
  ARGV[2]  at most this many requests rescored per call
  ARGV[3]  recount queues of at most this many requests (0 = never)
  ARGV[4]  "1" = dry run: count what would change, change nothing

  Returns: { rescored, foreign left, queue size, counters rebuilt (0/1) }.
]]
--#include _scores.lua
local dry = ARGV[4] == '1'
local lo, hi = '(-' .. FOREIGN, '(' .. FOREIGN
local rescored
if dry then
  rescored = math.min(redis.call('ZCOUNT', KEYS[1], lo, hi), tonumber(ARGV[2]))
else
  rescored = adopt_foreign(KEYS[1], KEYS[2], KEYS[4], tonumber(ARGV[2]))
end
local left = redis.call('ZCOUNT', KEYS[1], lo, hi)
if dry then left = left - rescored end
local size = redis.call('ZCARD', KEYS[1])
if dry then return { rescored, left, size, 0 } end
if size == 0 then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[2])
  return { rescored, 0, 0, 0 }
end
redis.call('ZADD', KEYS[3], 'NX', 0, ARGV[1])
local limit = tonumber(ARGV[3])
if left > 0 or size > limit then return { rescored, left, size, 0 } end

local counted = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do counted = counted + tonumber(v) end
if counted == size then return { rescored, 0, size, 0 } end
local counts = {}
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  local field = field_of(all[i], priority_of(tonumber(all[i + 1])))
  if field then counts[field] = (counts[field] or 0) + 1 end
end
redis.call('DEL', KEYS[2])
for field, count in pairs(counts) do redis.call('HSET', KEYS[2], field, count) end
return { rescored, 0, size, 1 }
