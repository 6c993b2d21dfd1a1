-- Appends alerts to a recipient list and, for each, the list's key to the watch list, in
-- one atomic step: both or neither. Optionally trims the list to its newest entries and
-- sets its expiry in the same step.
-- KEYS[1] recipient list, KEYS[2] watch list
-- ARGV[1] keep at most this many entries (0: no limit), ARGV[2] expiry in ms (0: none), ARGV[3..] alerts
local n = #ARGV - 2
if n < 1 then
  return 0
end
-- Both lists are checked before either is written: Redis does not undo a script's earlier
-- writes when a later command fails, so a watch list of another type would leave the alerts
-- pushed without their watch entries.
for _, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key).ok
  if kind ~= 'list' and kind ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. kind .. ', not a list')
  end
end
redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))
local watch = {}
for i = 1, n do
  watch[i] = KEYS[1]
end
redis.call('RPUSH', KEYS[2], unpack(watch))
local keep = tonumber(ARGV[1])
if keep > 0 then
  redis.call('LTRIM', KEYS[1], -keep, -1)
end
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return n
