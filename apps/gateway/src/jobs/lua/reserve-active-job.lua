-- Takes a place among an owner's active jobs for a new job, when one is free.
-- KEYS: the owner's active jobs (a sorted set of job ids by creation time).
-- ARGV: job id, created at, the most active jobs an owner may have, the set's TTL in ms.
-- Answers 1 when the place is taken, 0 when every place is.
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
