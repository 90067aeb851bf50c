--[[
  Creates a ticket exactly once per submission. Running it again for the same submission (a
  retried or duplicated job) changes nothing and returns the ticket made the first time.

  KEYS[1] submission → tracking id
  KEYS[2] ticket hash               {v = version, t = ticket JSON}
  KEYS[3] ticket events list
  KEYS[4] agency index zset
  KEYS[5] status index zset
  KEYS[6] all-tickets index zset
  KEYS[7] kept attachments set      (stored refs some ticket keeps; the attachment sweep spares them)

  ARGV[1] tracking id
  ARGV[2] ticket JSON
  ARGV[3] first event JSON
  ARGV[4] score: creation time, epoch ms
  ARGV[5…] the ticket's stored attachment refs (`file:<sha256>.<ext>`), none for a report without files

  Returns { 1, tracking id } when created, { 0, existing tracking id } when the submission
  already has a ticket, { -1, "" } when the tracking id is taken (the caller draws another).
]]
local existing = redis.call('GET', KEYS[1])
if existing then return { 0, existing } end
if redis.call('EXISTS', KEYS[2]) == 1 then return { -1, '' } end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'v', 1, 't', ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[6], ARGV[4], ARGV[1])
-- In the same step as the ticket: no ticket can exist whose files the sweep does not know to keep.
for i = 5, #ARGV do redis.call('SADD', KEYS[7], ARGV[i]) end
return { 1, ARGV[1] }
