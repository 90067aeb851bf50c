--[[
  Reads one conversation and the facts the inbound chain needs, in one round trip.

  KEYS[1] session hash           {v = version, s = session JSON}
  KEYS[2] inbound-seen marker    set once a platform message has been handled
  KEYS[3] per-chat rate counter  messages in the current window

  ARGV[1] "1" to count this message against the rate limit, "0" not to (a retried turn)
  ARGV[2] rate window, seconds

  Returns { version (0 when new), session JSON or false, seen (0/1), messages in window }
]]
local fields = redis.call('HMGET', KEYS[1], 'v', 's')
local seen = redis.call('EXISTS', KEYS[2])
local count = 0
if ARGV[1] == '1' then
  count = redis.call('INCR', KEYS[3])
  if count == 1 then redis.call('EXPIRE', KEYS[3], tonumber(ARGV[2])) end
else
  count = tonumber(redis.call('GET', KEYS[3]) or '0')
end
return { tonumber(fields[1] or '0'), fields[2], seen, count }
