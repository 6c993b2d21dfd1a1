-- The revocations that still matter, on Redis's clock.
-- KEYS[1] the revocation set. Returns its members whose time has not passed.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
