--[[
  purge_queue: removes requests of a stopped or expired crawl from one domain queue and, in the
  same atomic call, drops the domain from the spider's queue index when the queue is left empty.
  (Two separate calls let an enqueue land in between: a non-empty queue outside the index,
  which no crawler would ever pop.)

  KEYS[1]  <spiderid>:<domain>:queue
  KEYS[2]  <spiderid>:queue_index
  ARGV[1]  the domain (member of the index)
  ARGV[2..] queue members to remove (may be none: then only the index is tidied)

  Returns: how many members were removed.
]]
local removed = 0
for i = 2, #ARGV, 1000 do
  removed = removed + redis.call('ZREM', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
return removed
