--[[
  Gives the WhatsApp session lock up at a clean shutdown, so another process takes over at once
  instead of after the time to live. Only the holder of this very token can release it.

  KEYS[1] the lock (string "<owner>:<token>")

  ARGV[1] the holder's value "<owner>:<token>"

  Returns 1 when released, 0 when the lock was no longer this holder's.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
