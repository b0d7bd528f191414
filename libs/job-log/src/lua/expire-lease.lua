-- Fails an external job whose lease ran out, if it still has: the lease deadline is in the snapshot, so an
-- append that renewed it meanwhile wins.
-- KEYS: the job's snapshot, log, channel.
-- ARGV: now in ms, then as append-event.lua's (the `failed` event).
-- Answers the event's JSON, or the renewed deadline when the lease is not over; JOB_NOT_FOUND or
-- JOB_FINISHED when the job is unknown or has ended.
local refused = refuseEndedJob()
if refused then return refused end
local leaseUntil = tonumber(redis.call('HGET', KEYS[1], 'leaseUntil') or '0')
if leaseUntil > tonumber(ARGV[1]) then return tostring(leaseUntil) end
local _, event = append(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], 7)
return event
