-- Takes places among an owner's active jobs for new jobs (one job's, or a batch's), all or none.
-- KEYS: the owner's active jobs (a sorted set of job ids by creation time).
-- ARGV: created at, the most active jobs an owner may have, the set's TTL in ms, then the job ids.
-- Answers 1 when the places are taken, 0 when too few are free.
local count = #ARGV - 3
if redis.call('ZCARD', KEYS[1]) + count > tonumber(ARGV[2]) then return 0 end
for i = 4, #ARGV do redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
