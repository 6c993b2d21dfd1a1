-- Moves the oldest alerts of a recipient list into its claim list, atomically.
-- KEYS[1] recipient list, KEYS[2] its claim list, KEYS[3] the claim index
-- ARGV[1] most entries to claim, ARGV[2] most bytes (at least one entry is claimed), ARGV[3] the key
-- Returns the number of entries left in the list after the claim, then the claimed entries.
-- Anything already in the claim list was left by a relay that stopped before it finished:
-- it goes back to the head of the list first, in order, so it is claimed again.
local left = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #left, 1, -1 do
  redis.call('LPUSH', KEYS[1], left[i])
end
redis.call('DEL', KEYS[2])
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local limit = tonumber(ARGV[2])
local n, bytes = 0, 0
for i = 1, #items do
  bytes = bytes + string.len(items[i])
  if i > 1 and bytes > limit then
    break
  end
  n = i
end
if n == 0 then
  redis.call('SREM', KEYS[3], ARGV[3])
  return {0}
end
for i = #items, n + 1, -1 do
  items[i] = nil
end
redis.call('LTRIM', KEYS[1], n, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
redis.call('SADD', KEYS[3], ARGV[3])
table.insert(items, 1, redis.call('LLEN', KEYS[1]))
return items
