-- The relays alive on this watch list: each one calls this every third of its lease, which
-- records it until one lease from now (Redis's clock, not the relay's) and returns every relay
-- whose record has not run out.
--
-- KEYS[1] the relays sorted set; ARGV[1] this relay's token, ARGV[2] the lease in
-- milliseconds, ARGV[3] 0 to leave (at a clean stop) instead of staying.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] == '0' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
