-- Appends one event to a job that has not ended.
-- KEYS: the job's snapshot, log, channel.
-- ARGV: the event's JSON head and tail, terminal ('1'|'0'), maxLen, ttl seconds, then its output spec and
-- its snapshot patch.
-- Answers the event's JSON; JOB_NOT_FOUND or JOB_FINISHED when the job is unknown or has ended,
-- OUTPUT_TOO_LARGE or OUTPUT_OFFSET_MISMATCH when its output is refused.
local refused = refuseEndedJob() or outputRefusal(6, {})
if refused then return refused end
local _, event = append(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], 6)
return event
