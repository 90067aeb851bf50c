--[[
  Extends the WhatsApp session lock, only for the holder of this very token: a process whose lock
  expired and was taken by another (with a higher token) cannot get it back by renewing.

  KEYS[1] the lock (string "<owner>:<token>")

  ARGV[1] the holder's value "<owner>:<token>"
  ARGV[2] time to live, ms

  Returns 1 when renewed, 0 when the lock is no longer this holder's.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
