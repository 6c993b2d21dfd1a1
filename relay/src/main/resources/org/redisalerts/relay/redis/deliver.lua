-- One delivery step for many recipient lists at once, atomically. For each list the relay
-- finishes what it wrote (trims it from the head, after checking that the head is still what
-- it read) and reads the next batch. Alerts never leave their list until they were written to
-- a client, so a relay killed at any moment loses nothing: what it had read and not finished
-- is simply read again.
--
-- Several relays may share the lists (SPEC 10). Each list K has a lease, KEYS lease:{K}, that
-- names the one relay that may step it; a step checks it here, inside the atomic script, so a
-- relay that lost its lease (paused past it, cut off) can neither trim nor read: Redis itself
-- fences it, by the token the relay holds, not by any relay's clock. A step takes a free lease
-- when it means to read (and holds nothing from before), and renews a lease it holds. It also
-- records, in presence:{K}, whether this relay has connections of K, so that an owner learns
-- which relays to forward K's batches to.
--
-- The lease's value is the holder's token, then '#' and the mark of the holder's last step of K:
-- '<pump>:<entries trimmed>', the number the relay's pump of K carries (a new one whenever the
-- pump drops what it held) and how many entries its steps had trimmed from K once the step ran.
-- A step whose reply was lost (its connection cut after Redis ran it) is sent again as the relay
-- knew it before: the mark tells that it ran, and how much of its trim is done, where the head
-- check alone could not (identical alerts).
--
-- KEYS, per list: K, its lease, its presence hash; then the dead-letter list
-- ARGV[1] n, ARGV[2] the most bytes this step may read in all, ARGV[3] this relay's token,
-- ARGV[4] the lease in milliseconds; then per list, 9 fields, the held entries to check, and
-- its dead letters:
--   held   entries at the head that the relay read before (and so expects to find there)
--   trim   how many of those are finished (written, or bad and dead-lettered): removed now
--   skip   entries after those that are still out (sent, not yet finished): not read again
--   claim  the most entries to read now (0: only finish)
--   bytes  the most bytes to read now (at least one entry is read when claim > 0); an entry
--          larger than this is read as a marker (see view below)
--   dead   how many dead-letter records follow the check
--   here   0: presence unchanged; 1: this relay has plain connections of K; 2: it has
--          acknowledging ones; 3: it has none any more
--   pump   the number of the relay's pump of K and how many entries its steps had trimmed
--          before this one, as '<pump>:<count>'
--   mine   1 when the relay counts K's lease its own; 0 when it does not (it never took it, or
--          counted it lost): finding it held by this relay all the same (a step that took it and
--          whose reply was lost, or a lease counted lost too soon) is then reported as taking it
--   check  when held > 0: the first and the last held entry, as the relay read them
--   dead-letter records, appended to the dead-letter list with the trim
-- Returns, per list in order: status, more, acquired, count, then count entries (oldest
-- first), then extra, then extra values.
--   status 0: done as asked; 1: the head was not what the relay held (someone trimmed,
--   expired or deleted the list): nothing was trimmed, and the entries are read from the
--   head again; 2: the key refused the step (not a list): the one entry is the error text;
--   3: another relay holds the lease: nothing was read, the one extra value is its token;
--   4: fenced: the relay held entries but no longer holds the lease: nothing was trimmed or
--   read; the extra value is the lease's holder, or empty when it is free. (Status 0 also when
--   the mark shows this very step ran before: what it trimmed then is not trimmed again; when
--   the step sent again finished more than its first run, the dead letters of what the first run
--   trimmed are recorded twice.) 5: a key of the
--   relay's (the lease, the presence hash, or the dead-letter list) holds another type: nothing
--   was trimmed; the one entry is the error text.
--   more 1: the list may hold more than was read. acquired 1: the step took the lease (or found
--   it this relay's, which did not count it its own: see mine); the
--   extra values are then presence:{K} as field, value pairs (relay token, 1 for acks);
--   2: the relay held the lease already (renewed); 0 with status 0: the lease is free and was
--   not taken (nothing to read), so the relay does not hold it.
--
-- The head check compares the first and the last held entry, not every one: re-reading a
-- whole batch to compare it would double what each step reads. A head moved by d entries
-- passes it only if the entries d apart at both ends are byte for byte the same (see
-- architecture.md); the mark keeps the relay's own steps sent again out of that blind spot.
local n = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local token = ARGV[3]
local leaseMs = tonumber(ARGV[4])
local deadList = KEYS[3 * n + 1]
local out = {}
local a = 5

local function emit(status, more, acquired, entries, from, count, extra)
  out[#out + 1] = status
  out[#out + 1] = more
  out[#out + 1] = acquired
  out[#out + 1] = count
  for j = from, from + count - 1 do
    out[#out + 1] = entries[j]
  end
  out[#out + 1] = #extra
  for j = 1, #extra do
    out[#out + 1] = extra[j]
  end
end

local NONE = {}

-- This relay's lease value with the mark of pump and count (written as an integer: Lua would
-- write a count past 1e14 with an exponent, which no longer reads as a mark).
local function markOf(pump, count)
  return token .. '#' .. pump .. ':' .. string.format('%d', count)
end

-- A lease's holder, and the pump and count of its mark (nil when it has none: set by a relay of
-- an earlier version).
local function holderOf(lease)
  if type(lease) ~= 'string' then
    return nil
  end
  local holder, pump, count = string.match(lease, '^(.*)#([^#:]*):(%d+)$')
  if holder then
    return holder, pump, tonumber(count)
  end
  return lease
end

-- The error of a redis.pcall's reply, or nil. A step never stops the script with an error: a
-- round steps many keys, and one that stopped halfway would leave the keys before it trimmed
-- while the relay counted the whole round failed and sent their steps again.
local function failure(reply)
  if type(reply) == 'table' and reply.err then
    return reply.err
  end
  return nil
end

-- An entry larger than a list's whole batch may be (bytes) never leaves Redis: the relay is
-- given a marker in its place, with its size, its SHA-1 (so that the head check still tells two
-- such entries apart) and its first 256 bytes, and dead-letters it. One
-- such entry read whole would hold the relay's memory (a 150 MB alert ran it out of heap, and
-- again after every restart, since the entry stayed at the head of its list).
local function view(item, limit)
  if type(item) == 'string' and string.len(item) > limit then
    return '\0oversized ' .. string.len(item) .. ' ' .. redis.sha1hex(item) .. ' '
      .. string.sub(item, 1, 256)
  end
  return item
end

local function views(items, limit)
  for j = 1, #items do
    items[j] = view(items[j], limit)
  end
  return items
end

-- How many of items, from offset + 1 on, a read takes: at most claim, and within maxBytes and what
-- is left of the budget (the first always). Returns that count, their bytes, and whether the list
-- may hold more than was taken.
local function take(items, offset, claim, maxBytes)
  local taken = 0
  local bytes = 0
  for j = offset + 1, #items do
    if taken >= claim then
      break
    end
    local len = string.len(items[j])
    if taken > 0 and (bytes + len > maxBytes or bytes + len > budget) then
      return taken, bytes, true
    end
    bytes = bytes + len
    taken = taken + 1
  end
  return taken, bytes, claim > 0 and taken == claim
end

for i = 1, n do
  local key = KEYS[3 * i - 2]
  local leaseKey = KEYS[3 * i - 1]
  local presenceKey = KEYS[3 * i]
  local held = tonumber(ARGV[a])
  local trim = tonumber(ARGV[a + 1])
  local skip = tonumber(ARGV[a + 2])
  local claim = tonumber(ARGV[a + 3])
  local maxBytes = tonumber(ARGV[a + 4])
  local dead = tonumber(ARGV[a + 5])
  local here = tonumber(ARGV[a + 6])
  local pump, count = string.match(ARGV[a + 7], '^([^#:]*):(%d+)$')
  pump = pump or '' -- a malformed mark argument counts as no mark, not as an error
  count = tonumber(count) or 0
  local mine = ARGV[a + 8] == '1'
  a = a + 9
  local firstHeld, lastHeld
  if held > 0 then
    firstHeld = ARGV[a]
    lastHeld = ARGV[a + 1]
    a = a + 2
  end
  local firstDead = a
  a = a + dead
  local refused = nil
  if here == 1 or here == 2 then
    refused = failure(redis.pcall('HSET', presenceKey, token, here - 1))
  elseif here == 3 then
    refused = failure(redis.pcall('HDEL', presenceKey, token))
  end
  -- The lease: only its holder steps K.
  local lease = redis.pcall('GET', leaseKey)
  refused = refused or failure(lease)
  local holder, leasePump, leaseCount = holderOf(lease)
  local acquired = 0
  -- What the reply says of the lease: acquired, unless the relay did not count it its own.
  local replyAcquired = nil
  local skipKey = false
  local alreadyTrimmed = 0
  if refused then
    emit(5, 0, 0, {refused}, 1, 1, NONE)
    skipKey = true
  elseif holder == token then
    acquired = 2 -- renewed below, with the step's mark when it trims
    if not mine then
      -- Taken as far as the relay knows: it learns who else has connections of K, as when a
      -- step takes a free lease.
      replyAcquired = 1
    end
    if trim > 0 and leasePump == pump and leaseCount > count and leaseCount <= count + trim then
      -- This step ran before, and its reply was lost: leaseCount - count of its trim are done.
      alreadyTrimmed = leaseCount - count
    end
  elseif held > 0 then
    emit(4, 0, 0, NONE, 1, 0, {holder or ''})
    skipKey = true
  elseif holder then
    emit(3, 0, 0, NONE, 1, 0, {holder})
    skipKey = true
  elseif claim > 0 then
    redis.call('SET', leaseKey, markOf(pump, count), 'PX', leaseMs)
    acquired = 1
  else
    emit(0, 0, 0, NONE, 1, 0, NONE)
    skipKey = true
  end
  if not skipKey then
    local extra = NONE
    replyAcquired = replyAcquired or acquired
    if replyAcquired == 1 then
      extra = redis.pcall('HGETALL', presenceKey)
      if failure(extra) then
        extra = NONE -- not a hash (someone else's key): no relay is known to forward to
      end
    end
    local more = 0
    if claim > 0 and budget <= 0 then
      claim = 0
      more = 1
    end
    local trimAsked = trim
    local marked = false
    held = held - alreadyTrimmed
    trim = trim - alreadyTrimmed
    -- One read covers the last held entry and the batch to claim.
    local from = trim + skip
    local start = from
    if held > 0 and held - 1 < start then
      start = held - 1
    end
    local stop = from + claim - 1
    if held > 0 and held - 1 > stop then
      stop = held - 1
    end
    local items = {}
    local failed = nil
    if stop >= start then
      local r = redis.pcall('LRANGE', key, start, stop)
      if type(r) == 'table' and r.err then
        failed = r.err
      else
        items = views(r, maxBytes)
      end
    end
    local status = 0
    if not failed and held > 0 then
      local last = items[held - start]
      local first = last
      if alreadyTrimmed > 0 then
        first = firstHeld -- trimmed by the step's first run
      elseif held > 1 then
        first = view(redis.pcall('LINDEX', key, 0), maxBytes)
      end
      if last ~= lastHeld or first ~= firstHeld then
        status = 1
      end
    end
    if failed then
      emit(2, 0, replyAcquired, {failed}, 1, 1, NONE)
    else
      local offset = from - start
      if status == 1 then
        -- Read from the head again; trim nothing.
        items = {}
        if claim > 0 then
          items = views(redis.call('LRANGE', key, 0, claim - 1), maxBytes)
        end
        offset = 0
      else
        if dead > 0 and alreadyTrimmed < trimAsked then
          refused = failure(
            redis.pcall('RPUSH', deadList, unpack(ARGV, firstDead, firstDead + dead - 1)))
        end
        if trim > 0 and not refused then
          redis.call('LTRIM', key, trim, -1)
        end
      end
      local taken, bytes, cut = take(items, offset, claim, maxBytes)
      if cut then
        more = 1
      end
      if refused then
        emit(5, 0, replyAcquired, {refused}, 1, 1, NONE)
      else
        budget = budget - bytes
        emit(status, more, replyAcquired, items, offset + 1, taken, extra)
      end
      if acquired == 2 and not refused and status == 0 and trimAsked > 0 then
        -- The mark: what the relay counts trimmed once it reads this reply. (On a changed head
        -- the relay drops what it held and its pump takes a new number: no mark to keep.)
        redis.call('SET', leaseKey, markOf(pump, count + trimAsked), 'PX', leaseMs)
        marked = true
      end
    end
    if acquired == 2 and not marked then
      redis.call('PEXPIRE', leaseKey, leaseMs)
    end
  end
end

-- With the watcher's pop (the watch list is KEYS[3n + 2]): after the steps above, take up to
-- popCount watch entries, and read a batch of each key they name that no step above stepped and
-- whose lease this relay holds. The relay keeps such a read only if the key had nothing out and no
-- step of its own since it sent this script (else it reads the key again itself); nothing is
-- trimmed here, so a read it drops costs nothing but the read. A key of no lease, or another
-- relay's, is only named. Keys not declared to the script: one Redis node only (not Cluster).
-- ARGV after the lists: popCount, the lease key's prefix (the lease is prefix .. K .. '}'), the
-- most entries per key, the fewest, the most for all keys, the most keys read (when the entries
-- name more keys than that, none is read: a burst, whose keys' own steps later read more alerts
-- each, in fewer commands per alert), the most bytes per key. Appends: the entries taken (-1 when the pop failed, then its error), the keys named, each
-- once in order of first entry, then the count of reads and, per read, the key and a result as
-- above (status 0 or 2, acquired 2).
local popCount = tonumber(ARGV[a] or '0')
if popCount > 0 then
  local watch = KEYS[3 * n + 2]
  local leasePrefix = ARGV[a + 1]
  local claimMax = tonumber(ARGV[a + 2])
  local claimMin = tonumber(ARGV[a + 3])
  local entriesMax = tonumber(ARGV[a + 4])
  local keysMax = tonumber(ARGV[a + 5])
  local bytesMax = tonumber(ARGV[a + 6])
  local popped = redis.pcall('LPOP', watch, popCount)
  local popFailure = failure(popped)
  if popFailure then
    out[#out + 1] = -1
    out[#out + 1] = popFailure
    return out
  end
  if not popped then
    popped = NONE
  end
  local stepped = {}
  for i = 1, n do
    stepped[KEYS[3 * i - 2]] = true
  end
  local seen = {}
  local names = {}
  local unstepped = {}
  for j = 1, #popped do
    local key = popped[j]
    if not seen[key] then
      seen[key] = true
      names[#names + 1] = key
      if not stepped[key] then
        unstepped[#unstepped + 1] = key
      end
    end
  end
  out[#out + 1] = #popped
  out[#out + 1] = #names
  for j = 1, #names do
    out[#out + 1] = names[j]
  end
  if #unstepped > keysMax then
    unstepped = NONE
  end
  local claim = claimMax
  if #unstepped > 0 then
    claim = math.min(claimMax, math.max(claimMin, math.floor(entriesMax / #unstepped)))
  end
  local readsAt = #out + 1
  out[readsAt] = 0
  local reads = 0
  for j = 1, #unstepped do
    local key = unstepped[j]
    local leaseKey = leasePrefix .. key .. '}'
    if budget > 0 and holderOf(redis.pcall('GET', leaseKey)) == token then
      redis.call('PEXPIRE', leaseKey, leaseMs)
      reads = reads + 1
      out[#out + 1] = key
      local r = redis.pcall('LRANGE', key, 0, claim - 1)
      local failed = failure(r)
      if failed then
        emit(2, 0, 2, {failed}, 1, 1, NONE)
      else
        local items = views(r, bytesMax)
        local taken, bytes, cut = take(items, 0, claim, bytesMax)
        budget = budget - bytes
        emit(0, cut and 1 or 0, 2, items, 1, taken, NONE)
      end
    end
  end
  out[readsAt] = reads
end
return out
