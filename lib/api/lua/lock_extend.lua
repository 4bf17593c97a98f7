--[[
  lock_extend: renews a lock's expiry only if this holder still owns it.

  KEYS[1]  lock:<jobkey>
  ARGV[1]  the holder's token
  ARGV[2]  new time to live (ms)

  Returns: 1 when extended, 0 when the lock was lost.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
