--[[
  lease_putback: puts leased requests back in their queues, each exactly once (a lease that was
  acknowledged or already put back is left alone: ZREM first), and forgets crawlers known dead.
  One script for every way a request goes back: a crawler returning what it will not finish
  (shutdown, a failed item), the leases of crawlers whose heartbeat is gone, a crawler's own
  leases that nobody works on after a failed pop, and leases whose deadline passed. The caller
  reads the leases and picks which go back; every key comes through KEYS (Redis Cluster).

  KEYS[1]  <spiderid>:leases         lease -> deadline (ms)
  KEYS[2]  <spiderid>:queue_index
  KEYS[3]  <spiderid>:lease_holders  crawler id -> its heartbeat key
  then 2 per domain j (KEYS[2j+2], KEYS[2j+3]): <spiderid>:<domain>:queue, <spiderid>:<domain>:backlog
  ARGV[1]  n: how many crawler ids follow to remove from KEYS[3] (dead crawlers)
  ARGV[2 .. 1+n]  those ids
  ARGV[2+n ..]    pairs: domain number j (1-based, in KEYS order), the lease
                  ("<domain>\n<score>[\t<holder>\t<token>]\n<member>", see frontier_pop.lua)

  Returns: how many requests went back.
]]
--#include _scores.lua
local n = tonumber(ARGV[1])
local returned = 0
for i = 2 + n, #ARGV, 2 do
  local lease = ARGV[i + 1]
  if redis.call('ZREM', KEYS[1], lease) == 1 then
    local k = 2 + 2 * tonumber(ARGV[i])
    local a = string.find(lease, '\n', 1, true)
    local b = string.find(lease, '\n', a + 1, true)
    local mid = string.sub(lease, a + 1, b - 1)
    local t = string.find(mid, '\t', 1, true)
    local score = t and string.sub(mid, 1, t - 1) or mid
    local member = string.sub(lease, b + 1)
    redis.call('ZADD', KEYS[k], score, member)
    local s = tonumber(score)
    if not is_foreign(s) then count(KEYS[k + 1], field_of(member, priority_of(s)), 1) end
    redis.call('ZADD', KEYS[2], 0, string.sub(lease, 1, a - 1))
    returned = returned + 1
  end
end
if n > 0 then redis.call('HDEL', KEYS[3], unpack(ARGV, 2, 1 + n)) end
return returned
