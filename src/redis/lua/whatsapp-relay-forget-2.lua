--[[
  Removes one chat's entries from the WhatsApp relay and its in-flight list (a deletion request,
  UU PDP): messages parked there while no process held the session would otherwise be sent to the
  chat after its data was deleted, and they hold its number and text until then.

  An entry the holder is sending at this moment may still go out; its confirmation then finds
  nothing to remove, which is harmless (whatsapp-relay-done-3.lua removes by exact value).

  KEYS[1] the relay     (list of JSON { chatId, texts, attempts })
  KEYS[2] the in-flight (list of the same)

  ARGV[1] the chat id

  Returns how many entries were removed.
]]
local removed = 0
for _, list in ipairs(KEYS) do
  for _, raw in ipairs(redis.call('LRANGE', list, 0, -1)) do
    local ok, entry = pcall(cjson.decode, raw)
    if ok and type(entry) == 'table' and entry.chatId == ARGV[1] then
      removed = removed + redis.call('LREM', list, 0, raw)
    end
  end
end
return removed
