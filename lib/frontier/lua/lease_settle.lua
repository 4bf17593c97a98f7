--[[
  lease_settle: puts leased requests back in their queues at once, by who holds them. Two uses,
  one walk over the leases:

  - mode "dead" (every crawler's maintenance): the leases of crawlers whose heartbeat is gone (a
    crawler SIGKILLed, its machine gone, or cut off from Redis for HEARTBEAT_TIMEOUT), instead of
    waiting for their deadline (LEASE_TIMEOUT, the last resort). The dead crawlers' entries in
    KEYS[2] are removed (a crawler that was only slow writes its entry again with its next pop,
    and its late acks of the reclaimed leases remove nothing: the next lease of the request
    differs).
  - mode "own" (a crawler after a pop, an acknowledgement or a write failed — a pop may have run
    on the server while the client saw a timeout, leasing requests nobody crawls — and now and
    then): the calling crawler's own leases, settled against what it knows it is doing.

  KEYS[1]  <spiderid>:leases         lease -> deadline (ms)
  KEYS[2]  <spiderid>:lease_holders  crawler id -> its heartbeat key (written by frontier_pop)
  KEYS[3]  <spiderid>:queue_index
  ARGV[1]  spiderid (prefix of the queue keys and the info counters)
  ARGV[2]  mode: "dead" or "own"
  ARGV[3]  the calling crawler's id ("dead": its own leases are never reclaimed; "own": the holder
           whose leases are settled)
  mode "own" only:
  ARGV[4]  n: how many tokens follow that the crawler is still working on (kept)
  ARGV[5 .. 4+n]  tokens of leases in flight: left alone
  ARGV[5+n ..]    tokens of leases finished whose acknowledgement failed: removed (acked)

  A lease is "<domain>\n<score>\t<holder>\t<token>\n<member>" (see frontier_pop.lua); leases
  without a holder ("<domain>\n<score>\n<member>") are left to their deadline. Each request goes
  back to its queue at its old place, exactly once (ZREM first).

  Returns: { requests put back, { dead crawler ids } ("own": empty), leases acknowledged }.
]]
local own = ARGV[2] == 'own'
local dead, ids, keep, done = {}, {}, {}, {}
if own then
  local n = tonumber(ARGV[4])
  for i = 5, 4 + n do keep[ARGV[i]] = true end
  for i = 5 + n, #ARGV do done[ARGV[i]] = true end
else
  local holders = redis.call('HGETALL', KEYS[2])
  for i = 1, #holders, 2 do
    if holders[i] ~= ARGV[3] and redis.call('EXISTS', holders[i + 1]) == 0 then
      dead[holders[i]] = true
      ids[#ids + 1] = holders[i]
    end
  end
  if #ids == 0 then return { 0, ids, 0 } end
end

local scale = 68719476736 -- 2^36 (see enqueue.lua)
local returned, acked = 0, 0
for _, lease in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local a = string.find(lease, '\n', 1, true)
  local b = a and string.find(lease, '\n', a + 1, true)
  local mid = b and string.sub(lease, a + 1, b - 1)
  local t1 = mid and string.find(mid, '\t', 1, true)
  local t2 = t1 and string.find(mid, '\t', t1 + 1, true)
  if t2 then
    local holder, token = string.sub(mid, t1 + 1, t2 - 1), string.sub(mid, t2 + 1)
    local back = false
    if own then
      if holder == ARGV[3] then
        if done[token] then
          redis.call('ZREM', KEYS[1], lease)
          acked = acked + 1
        else
          back = not keep[token]
        end
      end
    else
      back = dead[holder] == true
    end
    if back then
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
if not own then redis.call('HDEL', KEYS[2], unpack(ids)) end
return { returned, ids, acked }
