--[[
  lease_reclaim: puts back at once the leases of crawlers whose heartbeat is gone (a crawler
  SIGKILLed, its machine gone, or cut off from Redis for HEARTBEAT_TIMEOUT), instead of waiting
  for their deadline (LEASE_TIMEOUT, the last resort). Run by every crawler's maintenance.

  KEYS[1]  <spiderid>:leases         lease -> deadline (ms)
  KEYS[2]  <spiderid>:lease_holders  crawler id -> its heartbeat key (written by frontier_pop)
  KEYS[3]  <spiderid>:queue_index
  ARGV[1]  spiderid (prefix of the queue keys and the info counters)
  ARGV[2]  the calling crawler's id (its own leases are never reclaimed here)

  A lease is "<domain>\n<score>\t<holder>\t<token>\n<member>" (see frontier_pop.lua); leases
  without a holder ("<domain>\n<score>\n<member>") are left to their deadline. Each request goes
  back to its queue at its old place, exactly once (ZREM first); the dead crawler's entry in
  KEYS[2] is removed (a crawler that was only slow writes it again with its next pop, and its
  late acks of the reclaimed leases remove nothing: the next lease of the request differs).

  Returns: { requests put back, { dead crawler ids } }.
]]
local dead, ids = {}, {}
local holders = redis.call('HGETALL', KEYS[2])
for i = 1, #holders, 2 do
  if holders[i] ~= ARGV[2] and redis.call('EXISTS', holders[i + 1]) == 0 then
    dead[holders[i]] = true
    ids[#ids + 1] = holders[i]
  end
end
if #ids == 0 then return { 0, ids } end

local scale = 68719476736 -- 2^36 (see enqueue.lua)
local returned = 0
for _, lease in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local a = string.find(lease, '\n', 1, true)
  local b = a and string.find(lease, '\n', a + 1, true)
  if b then
    local mid = string.sub(lease, a + 1, b - 1)
    local t1 = string.find(mid, '\t', 1, true)
    local t2 = t1 and string.find(mid, '\t', t1 + 1, true)
    if t2 and dead[string.sub(mid, t1 + 1, t2 - 1)] then
      local domain, score = string.sub(lease, 1, a - 1), string.sub(mid, 1, t1 - 1)
      local member = string.sub(lease, b + 1)
      redis.call('ZREM', KEYS[1], lease)
      redis.call('ZADD', ARGV[1] .. ':' .. domain .. ':queue', score, member)
      local ok, req = pcall(cjson.decode, member)
      if ok and type(req) == 'table' then
        local field = tostring(req.crawlid) .. '\t' .. domain .. '\t' .. (-math.floor(tonumber(score) / scale))
        redis.call('HINCRBY', 'backlog:' .. ARGV[1] .. ':' .. tostring(req.appid) .. ':counts', field, 1)
      end
      redis.call('ZADD', KEYS[3], 0, domain)
      returned = returned + 1
    end
  end
end
redis.call('HDEL', KEYS[2], unpack(ids))
return { returned, ids }
