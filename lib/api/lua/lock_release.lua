--[[
  lock_release: deletes a lock only if this holder still owns it.

  KEYS[1]  lock:<jobkey>
  ARGV[1]  the holder's token

  Returns: 1 when released, 0 when the lock was gone or someone else's.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
