--[[
  queue_push: adds requests to one domain queue of a spider and indexes the domain, atomically.

  KEYS[1]  <spiderid>:<domain>:queue   sorted set of JSON requests
  KEYS[2]  <spiderid>:queue_index      sorted set: domain -> earliest pop time (ms)
  KEYS[3]  <spiderid>:queue_seq        counter for first-in-first-out order
  ARGV[1]  domain
  ARGV[2], ARGV[3], ...  pairs of (priority, member)

  Score = -priority * 2^36 + seq, so ZPOPMIN gives the highest priority first and, among equal
  priorities, the oldest request (Scrapy Cluster's -priority score falls back to the member's
  lexicographic order there). Priorities are clamped to +-100000 to stay exact in a double.
  The score is formatted with %.0f because redis.call would print a number with 14 digits.

  Returns: the number of members that were not in the queue before.
]]
local added = 0
local scale = 68719476736 -- 2^36
for i = 2, #ARGV, 2 do
  local priority = math.floor(tonumber(ARGV[i]))
  if priority > 100000 then priority = 100000 elseif priority < -100000 then priority = -100000 end
  local seq = redis.call('INCR', KEYS[3]) % scale
  local score = string.format('%.0f', -priority * scale + seq)
  added = added + redis.call('ZADD', KEYS[1], score, ARGV[i + 1])
end
-- NX: a domain already scheduled keeps its next-pop time.
redis.call('ZADD', KEYS[2], 'NX', 0, ARGV[1])
return added
