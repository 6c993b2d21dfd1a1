-- Renews or releases the leases this relay holds (see deliver.lua), atomically per lease. A
-- lease's value is its holder's token, then '#' and the mark of the holder's last step.
--
-- KEYS, per list: its lease, its presence hash
-- ARGV[1] this relay's token, ARGV[2] the lease in milliseconds (renew) or 0 (release),
-- ARGV[3] 1 when the relay leaves the lists' presence too (it has no connection of them left)
-- Returns, per list, 1 when the lease was this relay's (and is now renewed or released), 0
-- when it was not (another relay holds it, or it expired): the relay is no longer its holder.
local token = ARGV[1]
local markedPrefix = token .. '#'
local ms = tonumber(ARGV[2])
local leave = ARGV[3] == '1'
local out = {}
for i = 1, #KEYS, 2 do
  local lease = KEYS[i]
  local value = redis.call('GET', lease)
  local mine = value == token
    or (type(value) == 'string' and string.sub(value, 1, #markedPrefix) == markedPrefix)
  if mine then
    if ms > 0 then
      redis.call('PEXPIRE', lease, ms)
    else
      redis.call('DEL', lease)
    end
  end
  if leave then
    redis.call('HDEL', KEYS[i + 1], token)
  end
  out[#out + 1] = mine and 1 or 0
end
return out
