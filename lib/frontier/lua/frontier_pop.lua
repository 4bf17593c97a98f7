--[[
  frontier_pop: a crawler takes up to N requests from the ready domains of one frontier shard,
  each under a lease, with the cluster-wide domain throttle checked and recorded, in ONE atomic
  call (no race between crawlers, no lock, one round trip). The caller reads the shard's index
  first and names the candidate domains, so every key comes through KEYS (Redis Cluster); the
  script checks again that each candidate is in the index and ready.

  KEYS[1]  <spiderid>:queue_index   domain -> earliest time (ms) it may be popped again
  KEYS[2]  <spiderid>:leases        lease -> deadline (ms)
  KEYS[3]  <spiderid>:blacklist     stopped/expired crawls
  KEYS[4]  <spiderid>:lease_holders crawler id -> its heartbeat key (see lease_putback.lua)
  KEYS[5]  <spiderid>:pop_seq       counter: every pop that leases gets a unique number
  KEYS[6]  <spiderid>:queue_seq     FIFO counter (rescoring Scrapy Cluster's requests)
  then 4 per candidate j (KEYS[4j+3 .. 4j+6]): <spiderid>:<domain>:queue,
           <spiderid>:<domain>:backlog, <throttle key>:throttle_window, <throttle key>:throttle_time
           (throttle key = [<spiderid>:][<ip>:]<domain>, Scrapy Cluster's styles)
  ARGV[1]  spiderid (in throttle hit members: unique across spider types)
  ARGV[2]  now (ms); 0 = the Redis server's clock (one clock for every crawler)
  ARGV[3]  max requests in total
  ARGV[4]  max requests per domain
  ARGV[5]  lease duration (ms)
  ARGV[6]  throttle, JSON ("" = no throttle, no blocked domains):
             on        throttle pops per domain
             w, h      default window (s) and hits (QUEUE_WINDOW, QUEUE_HITS)
             mod       moderated: pops spread evenly, one per w/h seconds (QUEUE_MODERATED),
                       elastic: the schedule advances by whole slots, so a pop that came late
                       (up to half a slot late: a crawler polled after its slot) does not
                       delay the next slot, so the domain still gets its h pops per window
             ahead     may a throttled domain's index entry move into the future? (false when
                       the budget is per crawler IP: other crawlers have budgets of their own)
             domains   { domain: [window, hits] } from ZooKeeper (hits already scaled)
             blocked   [ domain ] ZooKeeper blacklist: never popped
  ARGV[7]  the popping crawler's id ("" = none: its leases only expire by their deadline)
  ARGV[8]  its heartbeat key (stats:crawler:<host>:<spiderid>:<id>), recorded in KEYS[4]
  ARGV[9]  the token prefix: "" for the spider type's own queues, "<family>/" for a tagged
           queue family (families.ts), so a lease says which family's keys it belongs to
  ARGV[10..] the candidate domains, in KEYS order

  Unlike Scrapy Cluster, a throttle hit is recorded only when a request is actually popped, and
  hits = 0 pauses a domain (no division).

  A domain that may not be popped yet gets its index score set to when it may, so a crawler
  facing thousands of waiting domains looks only at ready ones. Every popped request leaves the
  backlog counters of its queue. Requests Scrapy Cluster wrote into a queue (score -priority,
  see _scores.lua) are rescored and counted before the queue is popped, so they pop at their
  priority even before the queue sweep (queue_adopt.lua) reaches them. A lease is "<domain>\n<score>\t<holder>\t<token>\n<member>":
  enough to put the request back where it was (lease_putback.lua), the crawler holding it (so
  its leases go back as soon as its heartbeat is gone, and it can find its own), and a token
  unique to this pop ("<pop_seq>.<n>"), so the same request leased again never has the same
  lease: a slow crawler's late ack of a reclaimed lease cannot remove the next one (the token of
  a tagged family's lease starts with "<family>/"). Requests of
  stopped crawls and expired requests (Scrapy Cluster only checks expiry at enqueue, its issue
  #154) are dropped here instead of being crawled.

  Returns: { leases, dropped } - two arrays; dropped holds "<reason>\n<member>".
]]
--#include _scores.lua
local spiderid = ARGV[1]
local now = tonumber(ARGV[2])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local max_total = tonumber(ARGV[3])
local per_domain = tonumber(ARGV[4])
local deadline = now + tonumber(ARGV[5])
local th = {}
if ARGV[6] ~= '' then th = cjson.decode(ARGV[6]) end
local overrides = type(th.domains) == 'table' and th.domains or {}
local blocked = {}
if type(th.blocked) == 'table' then for _, d in ipairs(th.blocked) do blocked[d] = true end end
local holder = ARGV[7]
local token_prefix = ARGV[9]
local now_s = now / 1000
-- This pop's unique number, taken when it leases its first request.
local pop_seq = nil
local function pop_number()
  if pop_seq == nil then pop_seq = redis.call('INCR', KEYS[5]) end
  return pop_seq
end

-- How many requests the throttle lets this domain give now, and (when none) the time in ms
-- from which it might. Records nothing.
local function allowance(domain, wkey, tkey)
  if not th.on then return per_domain, nil end
  local window, hits = tonumber(th.w), tonumber(th.h)
  local o = overrides[domain]
  if type(o) == 'table' then window, hits = tonumber(o[1]), tonumber(o[2]) end
  if hits <= 0 then return 0, now + window * 1000 end -- paused (scale 0)
  redis.call('ZREMRANGEBYSCORE', wkey, '-inf', '(' .. (now_s - window))
  local count = redis.call('ZCARD', wkey)
  if count >= hits then
    local oldest = redis.call('ZRANGE', wkey, 0, 0, 'WITHSCORES')
    return 0, math.floor((tonumber(oldest[2]) + window) * 1000) + 1
  end
  if th.mod and hits > 1 then
    local interval = window / hits
    local slot = tonumber(redis.call('GET', tkey)) or 0
    if now_s < slot + interval then return 0, math.ceil((slot + interval) * 1000) end
    return 1, nil
  end
  return math.min(per_domain, hits - count), nil
end

local hit_seq = 0
local function record_hit(domain, wkey, tkey)
  local window, hits = tonumber(th.w), tonumber(th.h)
  local o = overrides[domain]
  if type(o) == 'table' then window, hits = tonumber(o[1]), tonumber(o[2]) end
  hit_seq = hit_seq + 1
  local ttl = math.max(1, math.ceil(window * 2))
  -- A member unique across pops, crawlers and spider types (math.random repeats on Redis < 7,
  -- so two pops in one millisecond would have counted once).
  local member = now .. ':' .. spiderid .. ':' .. pop_number() .. ':' .. hit_seq
  redis.call('ZADD', wkey, now_s, member)
  redis.call('EXPIRE', wkey, ttl)
  if th.mod and hits > 1 then
    -- Elastic schedule: the next slot follows the previous one, not this (possibly late) pop,
    -- but never lags more than one slot behind now.
    local interval = window / hits
    local slot = tonumber(redis.call('GET', tkey))
    if slot == nil then slot = now_s else slot = math.max(slot + interval, now_s - interval / 2) end
    redis.call('SET', tkey, string.format('%.3f', slot), 'EX', ttl)
  end
end

local function uncount(backlog, req, score)
  score = tonumber(score)
  if is_foreign(score) then return end -- more than one call's worth arrived: never counted
  count(backlog, tostring(req.appid) .. '\t' .. tostring(req.crawlid) .. '\t' .. priority_of(score), -1)
end

local leases, dropped = {}, {}
for j = 10, #ARGV do
  if #leases >= max_total then break end
  local domain, k = ARGV[j], 7 + 4 * (j - 10)
  local queue, backlog, wkey, tkey = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local at = tonumber(redis.call('ZSCORE', KEYS[1], domain))
  if at == nil or at > now then
    -- Taken or rescheduled by another crawler since the caller read the index.
  elseif blocked[domain] then
    -- Kept as backlog until unblocked; looked at again in a few seconds.
    redis.call('ZADD', KEYS[1], now + 5000, domain)
  else
    if redis.call('ZCOUNT', queue, '(-' .. FOREIGN, '(' .. FOREIGN) > 0 then
      adopt_foreign(queue, backlog, KEYS[6], 1000)
    end
    local allowed, ready_at = allowance(domain, wkey, tkey)
    local taken = 0
    while taken < allowed and #leases < max_total do
      local popped = redis.call('ZPOPMIN', queue)
      if #popped == 0 then break end
      local member, score = popped[1], popped[2]
      local ok, req = pcall(cjson.decode, member)
      local expires = ok and type(req) == 'table' and tonumber(req.expires) or 0
      if ok and type(req) == 'table' then uncount(backlog, req, score) end
      if not ok or type(req) ~= 'table' then
        dropped[#dropped + 1] = 'invalid\n' .. member
      elseif redis.call('SISMEMBER', KEYS[3], tostring(req.appid) .. '||' .. tostring(req.crawlid)) == 1 then
        dropped[#dropped + 1] = 'stopped\n' .. member
      elseif expires > 0 and now_s >= expires then
        dropped[#dropped + 1] = 'expired\n' .. member
      else
        local lease = domain .. '\n' .. score .. '\t' .. holder .. '\t' .. token_prefix .. pop_number() .. '.' ..
          (#leases + 1) .. '\n' .. member
        redis.call('ZADD', KEYS[2], deadline, lease)
        leases[#leases + 1] = lease
        taken = taken + 1
        if th.on then record_hit(domain, wkey, tkey) end
      end
    end
    if taken > 0 and th.on and th.ahead and redis.call('EXISTS', queue) == 1 then
      -- Used up its allowance? Then it waits in the index until it may give again.
      local again, next_at = allowance(domain, wkey, tkey)
      if again == 0 then ready_at = next_at end
    end
    if redis.call('EXISTS', queue) == 0 then
      -- Empty: no counter can be right but 0 (another program may have popped behind our back).
      redis.call('ZREM', KEYS[1], domain)
      redis.call('DEL', backlog)
    elseif ready_at and th.ahead then
      redis.call('ZADD', KEYS[1], ready_at, domain)
    elseif taken > 0 or ready_at then
      -- Served (or throttled for this crawler only): behind the other ready domains.
      redis.call('ZADD', KEYS[1], now, domain)
    end
  end
end
if #leases > 0 and holder ~= '' then redis.call('HSET', KEYS[4], holder, ARGV[8]) end
return { leases, dropped }
