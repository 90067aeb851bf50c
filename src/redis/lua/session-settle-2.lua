--[[
  Removes reports from a conversation's pending list once they are on the tickets queue.

  KEYS[1] session hash           (field p: JSON array of { submission, reporter })
  KEYS[2] pending reports zset

  ARGV[1] zset member (the chat)
  ARGV[2] JSON array of the submission ids now queued
  ARGV[3] id of the message whose replies were just sent, recorded as field `d` ("" = none): a
          turn that confirmed a report does both after-send writes in this one round trip

  Returns how many reports are still pending for this chat.
]]
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'd', ARGV[3]) end
local raw = redis.call('HGET', KEYS[1], 'p')
if not raw then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
local queued = {}
for _, id in ipairs(cjson.decode(ARGV[2])) do queued[id] = true end
local left = {}
for _, report in ipairs(cjson.decode(raw)) do
  if not queued[report.submission.submissionId] then table.insert(left, report) end
end
if #left == 0 then
  redis.call('HDEL', KEYS[1], 'p')
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], 'p', cjson.encode(left))
end
return #left
