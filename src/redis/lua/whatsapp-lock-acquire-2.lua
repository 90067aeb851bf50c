--[[
  Takes the WhatsApp session lock when nobody holds it, with a new fencing token.

  KEYS[1] the lock            (string "<owner>:<token>", expires after ARGV[2] ms)
  KEYS[2] the fencing counter (integer, only ever grows)

  ARGV[1] owner (a random id of this process)
  ARGV[2] time to live, ms

  Returns the token (> 0) when this owner holds the lock now (newly taken, or already its own:
  then its time to live is renewed and the token kept), 0 when another owner holds it.
]]
local current = redis.call('GET', KEYS[1])
if current then
  local owner, token = string.match(current, '^(.*):(%d+)$')
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(token)
  end
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
