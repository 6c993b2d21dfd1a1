-- The relays alive on this watch list: each one calls this every third of its lease, which
-- records it until one lease from now (Redis's clock, not the relay's) and returns 1 when this
-- relay's own record was still there before (0 when it had run out, or Redis lost it: other relays
-- may have counted this one gone), then how many relays are alive, then every relay whose record
-- has not run out, then those whose record ran out less than a lease ago. Those are kept one lease
-- longer because a Redis paused past the lease lets every record run out at once, and each relay
-- records itself again only at its next call: until then it is "recent", not gone. A relay that
-- leaves at a clean stop is taken off at once.
--
-- KEYS[1] the relays sorted set; ARGV[1] this relay's token, ARGV[2] the lease in
-- milliseconds, ARGV[3] 0 to leave (at a clean stop) instead of staying.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mine = redis.call('ZSCORE', KEYS[1], ARGV[1])
local was = (mine and tonumber(mine) > now) and 1 or 0
if ARGV[3] == '0' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local alive = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('(%d', now), '+inf')
local recent = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {was, #alive}
for _, member in ipairs(alive) do
  out[#out + 1] = member
end
for _, member in ipairs(recent) do
  out[#out + 1] = member
end
return out
