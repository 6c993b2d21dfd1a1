-- Finishes a claim, atomically: drops the entries that were delivered (or dead-lettered),
-- puts the rest back at the head of the recipient list in their order, records dead letters.
-- KEYS[1] recipient list, KEYS[2] its claim list, KEYS[3] the claim index, KEYS[4] dead-letter list
-- ARGV[1] how many entries at the head of the claim are done, ARGV[2] the key, ARGV[3..] dead-letter records
local done = tonumber(ARGV[1])
if done > 0 then
  redis.call('LTRIM', KEYS[2], done, -1)
end
local rest = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #rest, 1, -1 do
  redis.call('LPUSH', KEYS[1], rest[i])
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
for i = 3, #ARGV do
  redis.call('RPUSH', KEYS[4], ARGV[i])
end
return #rest
