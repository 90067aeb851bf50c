--[[
  The WhatsApp session holder confirms a relayed message taken with whatsapp-relay-take-3.lua: it
  was sent, or failed for good (the holder logged it), or part of it could not go now and that part
  goes to the back of the relay (ARGV[3]) with its attempts counted. Removing the entry from the
  in-flight list and queuing what remains happen together, so a death between them can neither lose
  the rest nor queue it twice.

  Fenced: only the holder of the same token that took it. A holder fenced out mid-send (its lock
  expired during a long pause and another process took it) confirms nothing: the new holder has
  already put that entry back in the relay, or will at its first take, and may hold an identical
  entry in flight itself, which this late confirmation must not remove (were the new holder to die
  next, that message would be lost). So the old holder's message is sent again by the new holder:
  at least once.

  KEYS[1] the lock      (string "<owner>:<token>")
  KEYS[2] the in-flight (list of JSON entries)
  KEYS[3] the relay     (list of JSON entries, oldest first)

  ARGV[1] the holder's value "<owner>:<token>"
  ARGV[2] the entry exactly as the take returned it
  ARGV[3] what is left to send, a JSON entry for the back of the relay; '' for nothing

  Returns 1 when confirmed, 0 when the caller no longer holds the lock (nothing changed).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('LREM', KEYS[2], 1, ARGV[2])
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[3]) end
return 1
