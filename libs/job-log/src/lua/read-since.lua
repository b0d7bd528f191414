-- Reads a job's snapshot and the events it logged from a seq on, together, so that they agree.
-- KEYS: the job's snapshot, log.
-- ARGV: the first seq wanted (afterSeq + 1, computed by the caller: Lua's numbers print as 1e+14 from there
-- on, which is no stream id).
-- Answers { the snapshot hash as a flat list, the log entries from that seq }; both empty for an unknown job.
local snapshot = redis.call('HGETALL', KEYS[1])
if #snapshot == 0 then return { snapshot, {} } end
return { snapshot, redis.call('XRANGE', KEYS[2], '0-' .. ARGV[1], '+') }
