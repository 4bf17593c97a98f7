--[[
  lease_return: puts a leased request back into its queue, exactly once (a lease that was
  acknowledged or already returned is left alone). Used on shutdown for requests a crawler
  will not finish, when producing a page's item failed, and by any crawler for leases whose
  deadline passed (LEASE_TIMEOUT: the last resort, when no heartbeat-based reclaim happened).

  KEYS[1]  <spiderid>:leases
  KEYS[2]  <spiderid>:<domain>:queue
  KEYS[3]  <spiderid>:queue_index
  ARGV[1]  the lease ("<domain>\n<score>\t<holder>\t<token>\n<member>", see frontier_pop.lua)
  ARGV[2]  domain
  ARGV[3]  score (the original one: the request keeps its place)
  ARGV[4]  member
  ARGV[5]  spiderid (for the info counters, backlog:<spiderid>:<appid>:counts)

  Returns: 1 when the request went back, 0 when the lease no longer existed.
]]
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
local ok, req = pcall(cjson.decode, ARGV[4])
if ok and type(req) == 'table' then
  local field = tostring(req.crawlid) .. '\t' .. ARGV[2] .. '\t' .. (-math.floor(tonumber(ARGV[3]) / 68719476736))
  redis.call('HINCRBY', 'backlog:' .. ARGV[5] .. ':' .. tostring(req.appid) .. ':counts', field, 1)
end
redis.call('ZADD', KEYS[3], 0, ARGV[2])
return 1
