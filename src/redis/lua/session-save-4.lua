--[[
  Writes one conversation if nobody else wrote it since it was read (optimistic concurrency),
  marks the inbound message handled, and keeps the idle indexes in step — atomically, so a
  message is either handled and saved, or neither.

  KEYS[1] session hash           {v = version, s = session JSON}
  KEYS[2] inbound-seen marker    (a key that is never set when there is no message id)
  KEYS[3] idle reminder zset     chats with a draft, by last activity
  KEYS[4] idle expiry zset       chats with a draft, by last activity

  ARGV[1] version read (0 = the session did not exist)
  ARGV[2] new session JSON
  ARGV[3] session TTL, seconds
  ARGV[4] seen-marker TTL, seconds ("0" = no message id to mark)
  ARGV[5] zset member (the chat)
  ARGV[6] idle mode: "track" (draft in progress), "reminded" (keep expiry only), "none" (no draft)
  ARGV[7] last activity, epoch ms (zset score)

  Returns the new version; 0 on a version conflict; -1 when the message was already handled.
]]
if ARGV[4] ~= '0' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
local version = current + 1
redis.call('HSET', KEYS[1], 'v', version, 's', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
if ARGV[4] ~= '0' then redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[4])) end
if ARGV[6] == 'track' then
  redis.call('ZADD', KEYS[3], ARGV[7], ARGV[5])
  redis.call('ZADD', KEYS[4], ARGV[7], ARGV[5])
elseif ARGV[6] == 'reminded' then
  redis.call('ZREM', KEYS[3], ARGV[5])
else
  redis.call('ZREM', KEYS[3], ARGV[5])
  redis.call('ZREM', KEYS[4], ARGV[5])
end
return version
