-- One delivery step for many recipient lists at once, atomically. For each list the relay
-- finishes what it wrote (trims it from the head, after checking that the head still holds
-- exactly what it read) and reads the next batch. Alerts never leave their list until they
-- were written to a client, so a relay killed at any moment loses nothing: what it had read
-- and not finished is simply read again.
--
-- KEYS[1..n] the recipient lists, KEYS[n+1] the dead-letter list
-- ARGV[1] n, ARGV[2] the most bytes this step may read in all
-- then per list, 7 fields and its dead letters:
--   held   entries at the head that the relay read before (and so expects to find there)
--   trim   how many of those are finished (written, or bad and dead-lettered): removed now
--   skip   entries after those that are still out (sent, not yet finished): not read again
--   claim  the most entries to read now (0: only finish)
--   bytes  the most bytes to read now (at least one entry is read when claim > 0)
--   dead   how many dead-letter records follow
--   digest SHA-1 (hex) of the held entries, concatenated
--   dead-letter records, appended to the dead-letter list with the trim
-- Returns, per list in order: status, more, count, then count entries, oldest first.
--   status 0: done as asked; 1: the head was not what the relay held (someone trimmed,
--   expired or deleted the list): nothing was trimmed, and the entries are read from the
--   head again; 2: the key refused the step (not a list): one more field, the error text.
--   more 1: the list may hold more than was read.
local n = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local deadList = KEYS[n + 1]
local out = {}
local a = 3
for i = 1, n do
  local key = KEYS[i]
  local held = tonumber(ARGV[a])
  local trim = tonumber(ARGV[a + 1])
  local skip = tonumber(ARGV[a + 2])
  local claim = tonumber(ARGV[a + 3])
  local maxBytes = tonumber(ARGV[a + 4])
  local dead = tonumber(ARGV[a + 5])
  local digest = ARGV[a + 6]
  local firstDead = a + 7
  a = firstDead + dead
  local more = 0
  if claim > 0 and budget <= 0 then
    claim = 0
    more = 1
  end
  local want = math.max(held, trim + skip) + claim
  local items = {}
  local failed = nil
  if want > 0 then
    local r = redis.pcall('LRANGE', key, 0, want - 1)
    if type(r) == 'table' and r.err then
      failed = r.err
    else
      items = r
    end
  end
  if failed then
    out[#out + 1] = 2
    out[#out + 1] = 0
    out[#out + 1] = 1
    out[#out + 1] = failed
  else
    local status = 0
    local from = trim + skip
    if held > 0 then
      if #items < held or redis.sha1hex(table.concat(items, '', 1, held)) ~= digest then
        status = 1
        from = 0
      end
    end
    if status == 0 then
      if dead > 0 then
        redis.call('RPUSH', deadList, unpack(ARGV, firstDead, firstDead + dead - 1))
      end
      if trim > 0 then
        redis.call('LTRIM', key, trim, -1)
      end
    end
    local taken = 0
    local bytes = 0
    local first = #out + 4
    for j = from + 1, #items do
      if taken >= claim then
        break
      end
      local len = string.len(items[j])
      if taken > 0 and bytes + len > maxBytes then
        more = 1
        break
      end
      bytes = bytes + len
      taken = taken + 1
      out[first + taken - 1] = items[j]
    end
    if claim > 0 and taken == claim then
      more = 1
    end
    budget = budget - bytes
    out[first - 3] = status
    out[first - 2] = more
    out[first - 1] = taken
  end
end
return out
