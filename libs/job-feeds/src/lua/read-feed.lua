-- Reads a page of a feed, and its clock, together, so that they agree. Writes nothing: a feed no job has
-- touched yet has no keys, and reading it leaves none.
-- KEYS: the feed's clock, changes.
-- ARGV: '1' with a cursor ('0' without), the cursor's epoch ('' for a feed that had none) and clock, the
-- page size.
--
-- A cursor the feed can serve: from its epoch (or from before the feed had one, at clock 0), not ahead of
-- its clock (a Redis that lost writes), not below its floor (older than what it keeps). Then: the jobs
-- changed after it, oldest change first, one more than the page when there are. Otherwise, and without a
-- cursor: the most recently changed jobs, newest first, one more than the page when there are.
-- Answers { epoch ('' for none), clock, 'since' | 'newest' | 'reset', { job id, clock, ... } }.
local state = redis.call('HMGET', KEYS[1], 'epoch', 'clock', 'floor')
local epoch, clock, floor = state[1] or '', tonumber(state[2] or '0'), tonumber(state[3] or '0')
local pageSize = tonumber(ARGV[4])
local kind = 'newest'
if ARGV[1] == '1' then
  local since = tonumber(ARGV[3])
  local sameFeed = ARGV[2] == epoch or (ARGV[2] == '' and since == 0)
  if sameFeed and since <= clock and since >= floor then
    local page = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[3], '+inf', 'WITHSCORES', 'LIMIT', 0, pageSize + 1)
    return { epoch, tostring(clock), 'since', page }
  end
  kind = 'reset'
end
return { epoch, tostring(clock), kind, redis.call('ZREVRANGE', KEYS[2], 0, pageSize, 'WITHSCORES') }
