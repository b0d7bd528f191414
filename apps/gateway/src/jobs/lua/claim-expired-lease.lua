-- Claims an external job whose lease is over, so that one gateway, the one answered 1, fails it: its
-- deadline is pushed forward to the claim's own, which another gateway takes over if this one dies.
-- A deadline that was renewed meanwhile is left alone.
-- KEYS: the lease deadlines (a sorted set of job ids by deadline in ms).
-- ARGV: job id, now, the claim's deadline.
-- Answers 1 when claimed, 0 otherwise.
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not deadline or tonumber(deadline) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
