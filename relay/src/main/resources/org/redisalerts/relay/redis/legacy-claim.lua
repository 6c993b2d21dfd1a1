-- Puts back what an earlier version of the relay left in a claim list (it moved alerts out of
-- their list while writing them): the claim list's entries go back to the head of the list, in
-- order, and the claim list and its index entry go.
-- KEYS[1] the recipient list, KEYS[2] its old claim list, KEYS[3] the old claim index
-- ARGV[1] the recipient list's name (its member in the index)
-- Returns how many entries went back.
local back = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #back, 1, -1 do
  redis.call('LPUSH', KEYS[1], back[i])
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return #back
