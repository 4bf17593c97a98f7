--[[
  purge_queue: removes requests of a stopped or expired crawl from one domain queue, takes them
  off the queue's backlog counters and, in the same atomic call, drops the domain from the
  index when the queue is left empty. (Separate calls let an enqueue land in between: a
  non-empty queue outside the index, which no crawler would ever pop.)

  KEYS[1]  <spiderid>:<domain>:queue
  KEYS[2]  <spiderid>:queue_index
  KEYS[3]  <spiderid>:<domain>:backlog
  ARGV[1]  the domain (member of the index)
  ARGV[2]  "<appid>\t<crawlid>\t": the counter fields' prefix of the crawl
  ARGV[3..] queue members to remove (may be none: then only the index is tidied)

  Returns: how many members were removed.
]]
--#include _scores.lua
local removed = 0
for i = 3, #ARGV do
  local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i]))
  if score ~= nil then
    redis.call('ZREM', KEYS[1], ARGV[i])
    removed = removed + 1
    if not is_foreign(score) then count(KEYS[3], ARGV[2] .. priority_of(score), -1) end
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('DEL', KEYS[3])
end
return removed
