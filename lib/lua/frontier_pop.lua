--[[
  frontier_pop: a crawler takes up to N requests from the ready domains of its spider, each
  under a lease, in one atomic call. Domains are tried in index order (score = earliest pop
  time in ms; a domain just served moves behind the others, so domains take turns).

  KEYS[1]  <spiderid>:queue_index   domain -> earliest pop time (ms)
  KEYS[2]  <spiderid>:leases        lease -> deadline (ms)
  KEYS[3]  <spiderid>:blacklist     stopped/expired crawls
  ARGV[1]  spiderid (prefix of the queue keys)
  ARGV[2]  now (ms)
  ARGV[3]  max requests in total
  ARGV[4]  max requests per domain
  ARGV[5]  lease duration (ms)
  ARGV[6]  how many ready domains to look at
  ARGV[7..] domains to skip (at this crawler's per-domain cap)

  Every popped request leaves the info counters (backlog:<spiderid>:<appid>:counts).
  A lease is "<domain>\n<score>\n<member>": enough to put the request back exactly where it
  was (lease_return.lua). Requests of stopped crawls and expired requests (Scrapy Cluster only
  checks expiry at enqueue, its issue #154) are dropped here instead of being crawled.

  Returns: { leases, dropped } - two arrays; dropped holds "<reason>\n<member>".
]]
local spiderid = ARGV[1]
local now = tonumber(ARGV[2])
local max_total = tonumber(ARGV[3])
local per_domain = tonumber(ARGV[4])
local deadline = now + tonumber(ARGV[5])
local skip = {}
for i = 7, #ARGV do skip[ARGV[i]] = true end

local scale = 68719476736 -- 2^36: score = -priority * scale + seq (see enqueue.lua)
local function uncount(req, domain, score)
  local key = 'backlog:' .. spiderid .. ':' .. tostring(req.appid) .. ':counts'
  local field = tostring(req.crawlid) .. '\t' .. domain .. '\t' .. (-math.floor(tonumber(score) / scale))
  if redis.call('HINCRBY', key, field, -1) <= 0 then redis.call('HDEL', key, field) end
end

local leases, dropped = {}, {}
local candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
for _, domain in ipairs(candidates) do
  if #leases >= max_total then break end
  if not skip[domain] then
    local queue = spiderid .. ':' .. domain .. ':queue'
    local taken = 0
    while taken < per_domain and #leases < max_total do
      local popped = redis.call('ZPOPMIN', queue)
      if #popped == 0 then break end
      local member, score = popped[1], popped[2]
      local ok, req = pcall(cjson.decode, member)
      local expires = ok and type(req) == 'table' and tonumber(req.expires) or 0
      if ok and type(req) == 'table' then uncount(req, domain, score) end
      if not ok or type(req) ~= 'table' then
        dropped[#dropped + 1] = 'invalid\n' .. member
      elseif redis.call('SISMEMBER', KEYS[3], tostring(req.appid) .. '||' .. tostring(req.crawlid)) == 1 then
        dropped[#dropped + 1] = 'stopped\n' .. member
      elseif expires > 0 and now / 1000 >= expires then
        dropped[#dropped + 1] = 'expired\n' .. member
      else
        local lease = domain .. '\n' .. score .. '\n' .. member
        redis.call('ZADD', KEYS[2], deadline, lease)
        leases[#leases + 1] = lease
        taken = taken + 1
      end
    end
    if redis.call('EXISTS', queue) == 0 then
      redis.call('ZREM', KEYS[1], domain)
    elseif taken > 0 then
      redis.call('ZADD', KEYS[1], now, domain)
    end
  end
end
return { leases, dropped }
