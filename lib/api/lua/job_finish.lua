--[[
  job_finish: deletes a handled job only if nobody asked again meanwhile (compare-and-delete).
  The uuids answered leave the job's waiting set; the job key, its waiting set and its index
  entry go only when the key still holds the value that was handled and nobody else waits.
  Otherwise the job stays (and stays due), so the request that arrived between the monitor's
  GET and this call is answered on the next pass.

  KEYS[1]  the job key (e.g. info:<spiderid>:<appid>:<crawlid>)
  KEYS[2]  waiting:<jobkey>   set of the uuids waiting for an answer
  KEYS[3]  jobs:index (left out on Redis Cluster, where it lives on another node: the caller
           then removes the index entry itself)
  ARGV[1]  the value that was handled
  ARGV[2..] the uuids that were answered

  Returns: 1 when the job was deleted, 0 when it was kept (a newer request is pending).
]]
for i = 2, #ARGV do redis.call('SREM', KEYS[2], ARGV[i]) end
local value = redis.call('GET', KEYS[1])
if value == false then
  -- Gone already (another tool deleted it): the index entry and leftover waiters with it.
  if KEYS[3] then redis.call('ZREM', KEYS[3], KEYS[1]) end
  redis.call('DEL', KEYS[2])
  return 1
end
if value == ARGV[1] and redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  if KEYS[3] then redis.call('ZREM', KEYS[3], KEYS[1]) end
  return 1
end
return 0
