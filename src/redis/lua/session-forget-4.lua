--[[
  Deletes one conversation (a deletion request, UU PDP) if nobody wrote it since it was read: the
  request checked that no report of the chat is still on its way to a ticket, and a turn saved in
  between could have confirmed one, whose ticket would then be made with the address afterwards.

  KEYS[1] session hash (field v = version)
  KEYS[2] idle reminder zset
  KEYS[3] idle expiry zset
  KEYS[4] pending reports zset

  ARGV[1] version read (0 = there was no session)
  ARGV[2] zset member (the chat)

  Returns 1 when deleted, 0 on a version conflict (read and check again).
]]
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
return 1
