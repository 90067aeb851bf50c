--[[
  Takes messages waiting for the WhatsApp session holder (sent by processes that do not hold it,
  or while it reconnected). Fenced: only the current holder, by its token, can take them, so a
  process that lost the lock without knowing it yet cannot swallow messages it would never send.

  KEYS[1] the lock  (string "<owner>:<token>")
  KEYS[2] the relay (list of JSON { chatId, messages }, oldest first)

  ARGV[1] the holder's value "<owner>:<token>"
  ARGV[2] how many to take at most

  Returns the taken entries, oldest first (empty when none, or when the caller is not the holder).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {} end
local taken = redis.call('LPOP', KEYS[2], tonumber(ARGV[2]))
if not taken then return {} end
return taken
