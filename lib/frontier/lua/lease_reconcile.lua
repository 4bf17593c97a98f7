--[[
  lease_reconcile: a crawler settles its OWN leases against what it knows it is doing. Run after
  a pop, an acknowledgement or a write failed (Redis away, a reply lost: a pop may have run on
  the server while the client saw a timeout, leasing requests nobody crawls), and now and then.

  KEYS[1]  <spiderid>:leases
  KEYS[2]  <spiderid>:queue_index
  ARGV[1]  spiderid (prefix of the queue keys and the info counters)
  ARGV[2]  the crawler's id (the holder recorded in its leases)
  ARGV[3]  n: how many tokens follow that the crawler is still working on (kept)
  ARGV[4 .. 3+n]  tokens of leases in flight: left alone
  ARGV[4+n ..]    tokens of leases finished whose acknowledgement failed: removed (acked)

  Every other lease of this crawler is put back in its queue at its old place, at once.
  Returns: { requests put back, leases acknowledged }.
]]
local n = tonumber(ARGV[3])
local keep, done = {}, {}
for i = 4, 3 + n do keep[ARGV[i]] = true end
for i = 4 + n, #ARGV do done[ARGV[i]] = true end

local scale = 68719476736 -- 2^36 (see enqueue.lua)
local returned, acked = 0, 0
for _, lease in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local a = string.find(lease, '\n', 1, true)
  local b = a and string.find(lease, '\n', a + 1, true)
  if b then
    local mid = string.sub(lease, a + 1, b - 1)
    local t1 = string.find(mid, '\t', 1, true)
    local t2 = t1 and string.find(mid, '\t', t1 + 1, true)
    if t2 and string.sub(mid, t1 + 1, t2 - 1) == ARGV[2] then
      local token = string.sub(mid, t2 + 1)
      if done[token] then
        redis.call('ZREM', KEYS[1], lease)
        acked = acked + 1
      elseif not keep[token] then
        local domain, score = string.sub(lease, 1, a - 1), string.sub(mid, 1, t1 - 1)
        local member = string.sub(lease, b + 1)
        redis.call('ZREM', KEYS[1], lease)
        redis.call('ZADD', ARGV[1] .. ':' .. domain .. ':queue', score, member)
        local ok, req = pcall(cjson.decode, member)
        if ok and type(req) == 'table' then
          local field = tostring(req.crawlid) .. '\t' .. domain .. '\t' .. (-math.floor(tonumber(score) / scale))
          redis.call('HINCRBY', 'backlog:' .. ARGV[1] .. ':' .. tostring(req.appid) .. ':counts', field, 1)
        end
        redis.call('ZADD', KEYS[2], 0, domain)
        returned = returned + 1
      end
    end
  end
end
return { returned, acked }
