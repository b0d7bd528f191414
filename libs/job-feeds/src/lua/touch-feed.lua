-- touchFeed(jobId, snapshot, newEpoch, maxJobs, ttlMs, extra): records that a job of the feed changed, as every
-- script that touches a feed does. KEYS: the feed's clock (Hash), changes (Sorted Set), channel.
--
-- The clock moves by one; the job is (re)scored at it, so it appears once, at its latest change. A feed keeps
-- its `maxJobs` most recently changed jobs: the clock of the newest one dropped is kept as `floor`, below
-- which a cursor can no longer be served. `epoch` is set when the feed is first written (a Redis that lost the
-- feed has none, or a new one, so no cursor of before matches it). Both keys live `ttlMs` from the latest
-- change (JOB_MAX_AGE: longer than any job of the feed). `extra` is spliced into the published JSON after the
-- job (a batch's record), or ''.
--
-- Publishes {epoch, clock, job, ...extra} and answers the clock.
local function touchFeed(jobId, snapshot, newEpoch, maxJobs, ttlMs, extra)
  redis.call('HSETNX', KEYS[1], 'epoch', newEpoch)
  local clock = redis.call('HINCRBY', KEYS[1], 'clock', 1)
  local epoch = redis.call('HGET', KEYS[1], 'epoch')
  redis.call('ZADD', KEYS[2], clock, jobId)
  local excess = redis.call('ZCARD', KEYS[2]) - tonumber(maxJobs)
  if excess > 0 then
    local newestDropped = redis.call('ZRANGE', KEYS[2], excess - 1, excess - 1, 'WITHSCORES')
    redis.call('HSET', KEYS[1], 'floor', newestDropped[2])
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
  end
  redis.call('PEXPIRE', KEYS[1], ttlMs)
  redis.call('PEXPIRE', KEYS[2], ttlMs)
  redis.call('SPUBLISH', KEYS[3], '{"epoch":"' .. epoch .. '","clock":' .. clock .. ',"job":' .. snapshot .. extra .. '}')
  return clock
end
