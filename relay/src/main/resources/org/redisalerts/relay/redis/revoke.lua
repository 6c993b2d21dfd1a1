-- Records a token revocation, on Redis's clock (no relay's or command's clock is trusted), and
-- tells every relay at once.
-- KEYS[1] the revocation set (a sorted set: member "<kind>:<ms since epoch>:<value>", score the
-- time it stops mattering)
-- ARGV[1] kind (jti or sub), ARGV[2] the value, ARGV[3] how long it is kept, in ms,
-- ARGV[4] the channel relays listen on
-- Returns the member. Revocations that stopped mattering are dropped, and the set itself
-- expires with its last entry: nothing is kept longer than needed.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[1] .. ':' .. now .. ':' .. ARGV[2]
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), member)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
redis.call('PUBLISH', ARGV[4], member)
return member
