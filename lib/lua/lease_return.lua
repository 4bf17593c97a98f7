--[[
  lease_return: puts a leased request back into its queue, exactly once (a lease that was
  acknowledged or already returned is left alone). Used on shutdown for requests a crawler
  will not finish, and by any crawler for leases whose deadline passed (a crawler died).

  KEYS[1]  <spiderid>:leases
  KEYS[2]  <spiderid>:<domain>:queue
  KEYS[3]  <spiderid>:queue_index
  ARGV[1]  the lease ("<domain>\n<score>\n<member>")
  ARGV[2]  domain
  ARGV[3]  score (the original one: the request keeps its place)
  ARGV[4]  member

  Returns: 1 when the request went back, 0 when the lease no longer existed.
]]
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
return 1
