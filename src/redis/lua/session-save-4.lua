--[[
  Writes one conversation if nobody else wrote it since it was read (optimistic concurrency).
  The hash also holds the ids of the chat's recent platform messages and its rate window, so
  de-duplication and rate limiting are decided by the same version check, at no extra cost.

  It is also the turn's outbox: the replies the turn is about to send (`o`), and any report the
  turn confirmed (`p`, with the pending index) are written in the same step as the session that
  says "sent". A crash or a failed send after this script cannot lose them: a redelivered message
  re-sends `o`, so does the chat's next message while `d` is not `o`'s message (for a platform that
  never redelivers), and the housekeeping job queues whatever stays in `p`.

  The idle indexes are touched only when a draft starts, ends or was reminded: a plain turn is
  one HGET, one HSET and one EXPIRE.

  KEYS[1] session hash   { v = version, s = session JSON, m = recent message ids, r = rate window,
                           o = last turn's replies, d = id of the last message whose replies were sent,
                           p = reports confirmed but not yet queued }
  KEYS[2] idle reminder zset     chats with a draft, scored by when they are due to be looked at
  KEYS[3] idle expiry zset       likewise, for expiry
  KEYS[4] pending reports zset   chats with reports not yet queued, scored by when they were confirmed

  ARGV[1] version read (0 = the session did not exist)
  ARGV[2] new session JSON
  ARGV[3] session TTL, seconds
  ARGV[4] recent message ids (space-separated)
  ARGV[5] rate window ("<window>:<count>")
  ARGV[6] idle change: "add" (a draft started or was answered after a reminder), "reminded"
          (leave the reminder index), "remove" (no draft any more), "keep"
  ARGV[7] zset member (the chat)
  ARGV[8] zset score (last activity, epoch ms)
  ARGV[9] this turn's replies, JSON { messageId, outbound, at } ("" = leave `o` as it is)
  ARGV[10] reports this turn confirmed, a JSON array ("" = none)

  Returns the new version, or 0 on a version conflict.
]]
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
local version = current + 1
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[1], 'v', version, 's', ARGV[2], 'm', ARGV[4], 'r', ARGV[5], 'o', ARGV[9])
else
  redis.call('HSET', KEYS[1], 'v', version, 's', ARGV[2], 'm', ARGV[4], 'r', ARGV[5])
end
if ARGV[10] ~= '' then
  local pending = {}
  local existing = redis.call('HGET', KEYS[1], 'p')
  if existing then pending = cjson.decode(existing) end
  for _, report in ipairs(cjson.decode(ARGV[10])) do table.insert(pending, report) end
  redis.call('HSET', KEYS[1], 'p', cjson.encode(pending))
  redis.call('ZADD', KEYS[4], ARGV[8], ARGV[7])
end
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
