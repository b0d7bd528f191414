-- Reads a page of a feed, and its clock, together, so that they agree.
-- KEYS: the feed's clock, changes.
-- ARGV: a new epoch (for a feed never written: reading gives it one, so that a cursor of it can resume),
-- ttl in ms, the cursor's epoch and clock ('' and '' for none), the page size.
--
-- With a cursor the feed can serve (same epoch, clock not ahead of the feed's, not below its floor): the
-- jobs changed after it, oldest change first, one more than the page when there are. Otherwise, and without
-- a cursor: the most recently changed jobs, newest first, one more than the page when there are.
-- Answers { epoch, clock, 'since' | 'newest' | 'reset', { job id, clock, ... } }.
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local state = redis.call('HMGET', KEYS[1], 'epoch', 'clock', 'floor')
local epoch, clock, floor = state[1], tonumber(state[2] or '0'), tonumber(state[3] or '0')
local pageSize = tonumber(ARGV[5])
local kind = 'newest'
if ARGV[3] ~= '' then
  local since = tonumber(ARGV[4])
  if ARGV[3] == epoch and since <= clock and since >= floor then
    local page = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[4], '+inf', 'WITHSCORES', 'LIMIT', 0, pageSize + 1)
    return { epoch, tostring(clock), 'since', page }
  end
  kind = 'reset'
end
return { epoch, tostring(clock), kind, redis.call('ZREVRANGE', KEYS[2], 0, pageSize, 'WITHSCORES') }
