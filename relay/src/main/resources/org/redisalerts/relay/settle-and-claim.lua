-- One delivery step for a recipient list, atomically: finish the previous claim, then
-- claim the next batch.
-- KEYS[1] recipient list, KEYS[2] its claim list, KEYS[3] the claim index,
-- KEYS[4] the dead-letter list
-- ARGV[1] the key (its member in the claim index)
-- ARGV[2] how many entries at the head of the claim list are done (written or dead-lettered)
-- ARGV[3] most entries to claim now (0: only finish), ARGV[4] most bytes to claim (at least
-- one entry is claimed), ARGV[5..] dead-letter records for the entries that are done
-- Returns: how many claimed entries went back to the list, how many entries the list holds
-- after the claim, then the claimed entries, oldest first.
--
-- Entries of the claim list that are not done go back to the head of the list first, in
-- their order, so they are claimed again before anything newer: those a closing client did
-- not get, and anything a relay that stopped mid-batch had claimed.
local done = tonumber(ARGV[2])
if done > 0 then
  redis.call('LTRIM', KEYS[2], done, -1)
end
for i = 5, #ARGV do
  redis.call('RPUSH', KEYS[4], ARGV[i])
end
local back = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #back, 1, -1 do
  redis.call('LPUSH', KEYS[1], back[i])
end
redis.call('DEL', KEYS[2])

local max = tonumber(ARGV[3])
local items = {}
if max > 0 then
  items = redis.call('LRANGE', KEYS[1], 0, max - 1)
end
local limit = tonumber(ARGV[4])
local n, bytes = 0, 0
for i = 1, #items do
  bytes = bytes + string.len(items[i])
  if i > 1 and bytes > limit then
    break
  end
  n = i
end
if n == 0 then
  redis.call('SREM', KEYS[3], ARGV[1])
  return {#back, redis.call('LLEN', KEYS[1])}
end
for i = #items, n + 1, -1 do
  items[i] = nil
end
redis.call('LTRIM', KEYS[1], n, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
redis.call('SADD', KEYS[3], ARGV[1])
table.insert(items, 1, redis.call('LLEN', KEYS[1]))
table.insert(items, 1, #back)
return items
