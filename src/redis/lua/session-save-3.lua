--[[
  Writes one conversation if nobody else wrote it since it was read (optimistic concurrency).
  The hash also holds the ids of the chat's recent platform messages and its rate window, so
  de-duplication and rate limiting are decided by the same version check, at no extra cost.
  The idle indexes are touched only when a draft starts, ends or was reminded: a plain turn is
  one HGET, one HSET and one EXPIRE.

  KEYS[1] session hash           { v = version, s = session JSON, m = recent message ids, r = rate window }
  KEYS[2] idle reminder zset     chats with a draft, scored by when they are due to be looked at
  KEYS[3] idle expiry zset       likewise, for expiry

  ARGV[1] version read (0 = the session did not exist)
  ARGV[2] new session JSON
  ARGV[3] session TTL, seconds
  ARGV[4] recent message ids (space-separated)
  ARGV[5] rate window ("<window>:<count>")
  ARGV[6] idle change: "add" (a draft started or was answered after a reminder), "reminded"
          (leave the reminder index), "remove" (no draft any more), "keep"
  ARGV[7] zset member (the chat)
  ARGV[8] zset score (last activity, epoch ms)

  Returns the new version, or 0 on a version conflict.
]]
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
local version = current + 1
redis.call('HSET', KEYS[1], 'v', version, 's', ARGV[2], 'm', ARGV[4], 'r', ARGV[5])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
local idle = ARGV[6]
if idle == 'add' then
  redis.call('ZADD', KEYS[2], ARGV[8], ARGV[7])
  redis.call('ZADD', KEYS[3], ARGV[8], ARGV[7])
elseif idle == 'reminded' then
  redis.call('ZREM', KEYS[2], ARGV[7])
elseif idle == 'remove' then
  redis.call('ZREM', KEYS[2], ARGV[7])
  redis.call('ZREM', KEYS[3], ARGV[7])
end
return version
