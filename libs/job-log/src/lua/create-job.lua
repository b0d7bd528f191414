-- Creates a job: its snapshot, from the patch, and its first event.
-- KEYS: the job's snapshot, log, channel.
-- ARGV: the job's longest life in ms (JOB_MAX_AGE), which its keys get from now, ended or not; then as
-- append-event.lua's.
-- Answers the event's JSON; JOB_EXISTS when the job already exists.
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('JOB_EXISTS') end
redis.call('HSET', KEYS[1], 'lastSeq', 0)
local _, event = append(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], 7)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return event
