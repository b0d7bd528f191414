-- Reads a job's snapshot and a page of the events it logged from a seq on, together, so that they agree.
-- KEYS: the job's snapshot, log.
-- ARGV: the first seq wanted (afterSeq + 1, computed by the caller: Lua's numbers print as 1e+14 from there
-- on, which is no stream id), the most entries to answer.
-- Answers { the snapshot hash as a flat list, at most that many log entries from that seq }; both empty for
-- an unknown job.
local snapshot = redis.call('HGETALL', KEYS[1])
if #snapshot == 0 then return { snapshot, {} } end
return { snapshot, redis.call('XRANGE', KEYS[2], '0-' .. ARGV[1], '+', 'COUNT', ARGV[2]) }
