--[[
  enqueue: adds requests of ONE crawl to their domain queues, after the crawl's filters, in one
  atomic call (a page's whole batch of follow-ups costs one round trip). Used for seeds by the
  kafka-monitor and for follow-ups and retries by the crawlers.

  KEYS[1]  <spider>:dupefilter:<crawlid>   set of request fingerprints
  KEYS[2]  <spider>:blacklist              stopped/expired crawls ("<appid>||<crawlid>")
  ARGV[1]  options, JSON:
             bl        "<appid>||<crawlid>"
             now       epoch seconds
             expires   epoch seconds, 0 = never
             dupe_ttl  DUPEFILTER_TIMEOUT (s)
             spider    the spider whose filters apply (key prefix of the page counters)
             appid, crawlid
             dmp       domain_max_pages (0/nil = off)        dmp_ttl  its counter TTL (s)
             gmax      GLOBAL_PAGE_PER_DOMAIN_LIMIT (0/nil)  gmax_ttl its counter TTL (s)
             bl_domains  optional list of domains to drop (ZooKeeper blacklist, when not kept)
             nolimit   true: the page counters are neither checked nor spent (retries: their
                       page was counted when it was first enqueued); blacklist, expiry and
                       blocked domains still apply
  ARGV[2..] groups of 5: fingerprint ("" = skip the dupefilter), target spiderid, domain,
            priority, member (the request JSON)

  Queue keys are derived here (<spiderid>:<domain>:queue, <spiderid>:queue_index,
  <spiderid>:queue_seq, and backlog:<spiderid>:<appid>:counts, the pending requests per
  "<crawlid>\t<domain>\t<priority>" that make info answers instant) because a batch spans any
  number of domains: like Scrapy Cluster this targets a standalone Redis, not Redis Cluster.

  Score = -priority * 2^36 + seq: the highest priority pops first and, among equal priorities,
  the oldest (Scrapy Cluster's -priority score falls back to lexicographic member order there).
  Priorities are clamped to +-100000 to stay exact in a double, and the score is formatted with
  %.0f because redis.call would print only 14 significant digits.

  Returns: { added, duplicates, rejected } where rejected counts blacklisted/expired/over-limit.
]]
local opts = cjson.decode(ARGV[1])
local n = (#ARGV - 1) / 5
if redis.call('SISMEMBER', KEYS[2], opts.bl) == 1 then return { 0, 0, n } end
local expires = tonumber(opts.expires) or 0
if expires > 0 and tonumber(opts.now) >= expires then return { 0, 0, n } end

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

local scale = 68719476736 -- 2^36
local dmp = tonumber(opts.dmp) or 0
local gmax = tonumber(opts.gmax) or 0
if opts.nolimit == true then dmp, gmax = 0, 0 end
local added, dupes, rejected, filtered = 0, 0, 0, false
for i = 2, #ARGV, 5 do
  local fp, spiderid, domain = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local ok = true
  if blocked[domain] then ok = false; rejected = rejected + 1 end
  if ok and fp ~= '' then
    filtered = true
    if redis.call('SADD', KEYS[1], fp) == 0 then ok = false; dupes = dupes + 1 end
  end
  if ok and dmp > 0 then
    local key = opts.spider .. ':domain_max_page_filter:' .. domain .. ':' .. opts.crawlid
    if not under_limit(key, dmp, opts.dmp_ttl, true) then ok = false; rejected = rejected + 1 end
  end
  if ok and gmax > 0 then
    local key = opts.spider .. ':global_page_count_filter:' .. domain .. ':' .. opts.crawlid
    if not under_limit(key, gmax, opts.gmax_ttl, false) then ok = false; rejected = rejected + 1 end
  end
  if ok then
    local priority = math.floor(tonumber(ARGV[i + 3]))
    if priority > 100000 then priority = 100000 elseif priority < -100000 then priority = -100000 end
    local seq = redis.call('INCR', spiderid .. ':queue_seq') % scale
    local score = string.format('%.0f', -priority * scale + seq)
    if redis.call('ZADD', spiderid .. ':' .. domain .. ':queue', score, ARGV[i + 4]) == 1 then
      added = added + 1
      redis.call('HINCRBY', 'backlog:' .. spiderid .. ':' .. opts.appid .. ':counts',
        opts.crawlid .. '\t' .. domain .. '\t' .. priority, 1)
    end
    -- NX: a domain already scheduled keeps its next-pop time.
    redis.call('ZADD', spiderid .. ':queue_index', 'NX', 0, domain)
  end
end
if filtered then redis.call('EXPIRE', KEYS[1], opts.dupe_ttl) end
return { added, dupes, rejected }
