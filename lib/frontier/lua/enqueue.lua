--[[
  enqueue: adds requests of ONE crawl to the domain queues of ONE frontier shard and spider type,
  after the crawl's filters, in one atomic call (a page's follow-ups cost one call per shard they
  fall in). Used for seeds by the kafka-monitor and for follow-ups and retries by the crawlers.
  Every key comes through KEYS and carries the shard's hash tag on Redis Cluster (layout.ts).

  KEYS[1]  <spider>:dupefilter:<crawlid>   set of request fingerprints (the crawl's spider)
  KEYS[2]  <spider>:blacklist              stopped/expired crawls ("<appid>||<crawlid>")
  KEYS[3]  <spiderid>:queue_seq            FIFO counter (the target spider type)
  KEYS[4]  <spiderid>:queue_index          domains with pending requests
  then 4 per domain j (KEYS[4j+1 .. 4j+4]):
           <spiderid>:<domain>:queue, <spiderid>:<domain>:backlog,
           <spider>:domain_max_page_filter:<domain>:<crawlid>,
           <spider>:global_page_count_filter:<domain>:<crawlid>
  ARGV[1]  options, JSON:
             bl        "<appid>||<crawlid>"
             now       epoch seconds
             expires   epoch seconds, 0 = never
             dupe_ttl  DUPEFILTER_TIMEOUT (s)
             appid, crawlid
             dmp       domain_max_pages (0/nil = off)        dmp_ttl  its counter TTL (s)
             gmax      GLOBAL_PAGE_PER_DOMAIN_LIMIT (0/nil)  gmax_ttl its counter TTL (s)
             bl_domains  optional list of domains to drop (ZooKeeper blacklist, when not kept)
             nolimit   true: the page counters are neither checked nor spent (retries: their
                       page was counted when it was first enqueued); blacklist, expiry and
                       blocked domains still apply
             wake      channel to PUBLISH on when a domain joins the index (new work for idle
                       crawlers, which otherwise look again after IDLE_POLL_MS); once per call
  ARGV[2..] per domain j, in KEYS order: domain, n, then n groups of 3: fingerprint ("" = skip
            the dupefilter), priority, member (the request JSON)

  Scores: see _scores.lua (the highest priority first, first-in-first-out among equal ones).

  Returns: { added, duplicates, rejected } where rejected counts blacklisted/expired/over-limit.
  A request whose queue write Redis refuses (a key of the wrong type) ends the call with that
  error, its fingerprint taken out of the dupefilter again: the requests before it are stored,
  it and those after are not, so each written again alone meets the same error, or none.
]]
--#include _scores.lua
local opts = cjson.decode(ARGV[1])
local function total()
  local n, i = 0, 2
  while i <= #ARGV do
    local count = tonumber(ARGV[i + 1])
    n, i = n + count, i + 2 + 3 * count
  end
  return n
end
if redis.call('SISMEMBER', KEYS[2], opts.bl) == 1 then return { 0, 0, total() } end
local expires = tonumber(opts.expires) or 0
if expires > 0 and tonumber(opts.now) >= expires then return { 0, 0, total() } end

local blocked = {}
if type(opts.bl_domains) == 'table' then
  for _, d in ipairs(opts.bl_domains) do blocked[d] = true end
end

-- Scrapy Cluster's page counter: at most limit-1 follow-ups per domain and crawl.
local function under_limit(key, limit, ttl, refresh_when_full)
  local count = tonumber(redis.call('GET', key))
  if count == nil then
    redis.call('SET', key, 0)
    count = 0
  end
  if count >= limit then
    if refresh_when_full then redis.call('EXPIRE', key, ttl) end
    return false
  end
  count = redis.call('INCR', key)
  redis.call('EXPIRE', key, ttl)
  return count < limit
end

local dmp = tonumber(opts.dmp) or 0
local gmax = tonumber(opts.gmax) or 0
if opts.nolimit == true then dmp, gmax = 0, 0 end
local prefix = opts.appid .. '\t' .. opts.crawlid .. '\t'
local function store(queue, priority, member)
  return redis.call('ZADD', queue, our_score(priority, KEYS[3]), member)
end
local added, dupes, rejected, filtered, fresh = 0, 0, 0, false, false
local failure = nil
local i, k = 2, 5
while i <= #ARGV and not failure do
  local domain, n = ARGV[i], tonumber(ARGV[i + 1])
  local queue, backlog, dmp_key, gmax_key = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local queued = false
  for e = i + 2, i + 1 + 3 * n, 3 do
    local fp = ARGV[e]
    local ok = true
    if blocked[domain] then ok = false; rejected = rejected + 1 end
    if ok and fp ~= '' then
      filtered = true
      if redis.call('SADD', KEYS[1], fp) == 0 then ok = false; dupes = dupes + 1 end
    end
    if ok and dmp > 0 and not under_limit(dmp_key, dmp, opts.dmp_ttl, true) then
      ok = false; rejected = rejected + 1
    end
    if ok and gmax > 0 and not under_limit(gmax_key, gmax, opts.gmax_ttl, false) then
      ok = false; rejected = rejected + 1
    end
    if ok then
      local priority = clamp_priority(tonumber(ARGV[e + 1]))
      local stored, result = pcall(store, queue, priority, ARGV[e + 2])
      if not stored then
        if fp ~= '' then redis.call('SREM', KEYS[1], fp) end
        failure = type(result) == 'table' and result.err or tostring(result)
        break
      end
      if result == 1 then
        added = added + 1
        count(backlog, prefix .. priority, 1)
      end
      queued = true
    end
  end
  -- NX: a domain already scheduled keeps its next-pop time.
  if queued and redis.call('ZADD', KEYS[4], 'NX', 0, domain) == 1 then fresh = true end
  i, k = i + 2 + 3 * n, k + 4
end
if filtered then redis.call('EXPIRE', KEYS[1], opts.dupe_ttl) end
if fresh and type(opts.wake) == 'string' then redis.call('PUBLISH', opts.wake, '1') end
if failure then return redis.error_reply(failure) end
return { added, dupes, rejected }
