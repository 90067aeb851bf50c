--[[
  Takes the next message waiting for the WhatsApp session holder (left by processes that do not
  hold the session, or while it reconnected), for the holder to send. At least once: the entry is
  not deleted but moved, in this same atomic step, to the in-flight list, and leaves it only when
  the holder confirms the send (whatsapp-relay-done-3.lua). A holder that dies between this take
  and its confirmation therefore loses nothing.

  Fenced: only the current holder, by its token, can take, so a process that lost the lock without
  knowing it yet neither swallows messages it would never send nor touches the in-flight list.

  Whatever is still in flight when the holder takes is put back first, at the front of the relay, in
  its order, before anything newer. That is safe because a holder sends relayed messages one at a
  time and confirms each before taking the next: when it takes, nothing of its own is being sent,
  so what is in flight was taken by a previous holder that died or was fenced out mid-send (or by
  this one in a pass that failed before its confirmation), and its send may or may not have
  happened. It is sent again: at least once, never lost; the cost is a possible second copy of a
  message WhatsApp had accepted just before the holder died. Each entry put back counts as one
  attempt, so a message that kills every holder that sends it is dropped after a few (the holder
  logs it) rather than taking turns killing them forever.

  KEYS[1] the lock      (string "<owner>:<token>")
  KEYS[2] the relay     (list of JSON { chatId, texts, attempts }, oldest first)
  KEYS[3] the in-flight (list of the same entries, taken and not yet confirmed)

  ARGV[1] the holder's value "<owner>:<token>"

  Returns the taken entry, as stored in the in-flight list (the confirmation names it by this exact
  string); nil when the relay is empty or the caller is not the holder.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
-- From the back of the in-flight list to the front of the relay: the order is kept.
local raw = redis.call('RPOP', KEYS[3])
while raw do
  local ok, entry = pcall(cjson.decode, raw)
  if ok and type(entry) == 'table' and type(entry.texts) == 'table' and #entry.texts > 0 then
    entry.attempts = (tonumber(entry.attempts) or 0) + 1
    raw = cjson.encode(entry)
  end
  redis.call('LPUSH', KEYS[2], raw)
  raw = redis.call('RPOP', KEYS[3])
end
return redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT')
