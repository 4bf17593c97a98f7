--[[
  queue_pop: takes the best requests of one domain queue and drops the domain from the index
  when its queue is empty, atomically.

  KEYS[1]  <spiderid>:<domain>:queue
  KEYS[2]  <spiderid>:queue_index
  ARGV[1]  domain
  ARGV[2]  how many requests to take (>= 1)

  Returns: a flat array member1, score1, member2, score2, ... (empty when the queue was empty).
]]
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[2]))
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return popped
