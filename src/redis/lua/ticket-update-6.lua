--[[
  Replaces a ticket if nobody changed it since it was read, appends the event that explains the
  change, and moves it between status and agency indexes — atomically, so history, state and
  indexes never disagree.

  KEYS[1] ticket hash               {v = version, t = ticket JSON}
  KEYS[2] ticket events list
  KEYS[3] old status index zset
  KEYS[4] new status index zset
  KEYS[5] old agency index zset
  KEYS[6] new agency index zset     (the same key as KEYS[5] unless re-routed)

  ARGV[1] version read
  ARGV[2] new ticket JSON
  ARGV[3] event JSON ("" for a change without an event)
  ARGV[4] tracking id
  ARGV[5] score: the ticket's creation time, epoch ms

  Returns the new version; 0 on a version conflict; -1 when the ticket does not exist.
]]
local current = redis.call('HGET', KEYS[1], 'v')
if not current then return -1 end
if tonumber(current) ~= tonumber(ARGV[1]) then return 0 end
local version = tonumber(current) + 1
redis.call('HSET', KEYS[1], 'v', version, 't', ARGV[2])
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
if KEYS[3] ~= KEYS[4] then
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4])
end
if KEYS[5] ~= KEYS[6] then
  redis.call('ZREM', KEYS[5], ARGV[4])
  redis.call('ZADD', KEYS[6], ARGV[5], ARGV[4])
end
return version
