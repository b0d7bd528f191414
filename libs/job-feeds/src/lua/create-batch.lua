-- Creates a batch: its record, with every job counted queued at 0%, and its jobs in order.
-- KEYS: the batch's record, job states, job ids (all in the batch feed's slot).
-- ARGV: ttl in ms (JOB_MAX_AGE: its jobs live no longer), how many fields the record starts with, their
-- names and values, then the job ids.
-- Answers 1; BATCH_EXISTS when the id is taken.
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('BATCH_EXISTS') end
local firstId = 3 + 2 * tonumber(ARGV[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 3, firstId - 1))
for i = firstId, #ARGV do
  redis.call('HSET', KEYS[2], ARGV[i], 'queued|0|0')
  redis.call('RPUSH', KEYS[3], ARGV[i])
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return 1
