-- Touches a batch's feed (touch-feed.lua) and moves the batch's record with it, exactly once per change.
-- KEYS: the feed's clock, changes, channel; the batch's record, job states.
-- ARGV: job id, snapshot JSON, new epoch, maxJobs, ttl in ms; the job's status, percent in hundredths (a
-- finished job counts 100%), lastSeq; now in ms.
--
-- The record counts each job at the state last counted for it (job states: `<status>|<hundredths>|<seq>`).
-- A snapshot no newer than that (the same one again, or one that arrives after a newer one) changes
-- nothing: the counts only move from a job's counted status to its new one, the percent sum by the
-- difference. So touching is idempotent and order-proof, and the counts stay exact.
--
-- Answers the feed's clock, or 0 for a snapshot already counted; BATCH_NOT_FOUND for a batch that does not
-- exist (or has expired), NOT_IN_BATCH for a job that is not one of its jobs.
if redis.call('EXISTS', KEYS[4]) == 0 then return redis.error_reply('BATCH_NOT_FOUND') end
local counted = redis.call('HGET', KEYS[5], ARGV[1])
if not counted then return redis.error_reply('NOT_IN_BATCH') end
local status, hundredths, seq = string.match(counted, '^(%a+)|(%d+)|(%d+)$')
if tonumber(ARGV[8]) <= tonumber(seq) then return 0 end
if ARGV[6] ~= status then
  redis.call('HINCRBY', KEYS[4], status, -1)
  redis.call('HINCRBY', KEYS[4], ARGV[6], 1)
end
redis.call('HINCRBY', KEYS[4], 'percentSum', tonumber(ARGV[7]) - tonumber(hundredths))
redis.call('HSET', KEYS[4], 'updatedAt', ARGV[9])
redis.call('HSET', KEYS[5], ARGV[1], ARGV[6] .. '|' .. ARGV[7] .. '|' .. ARGV[8])
local record = cjson.encode(redis.call('HGETALL', KEYS[4]))
return touchFeed(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ',"batch":' .. record)
