-- refuseEndedJob(): the error reply for a job that does not exist or has ended, or nil for one that may
-- still take events. KEYS[1]: the job's snapshot. TERMINAL_STATUSES, a set of the statuses that end a job,
-- is defined before this from contracts' TERMINAL_STATUSES (lua-scripts.ts).
local function refuseEndedJob()
  local status = redis.call('HGET', KEYS[1], 'status')
  if not status then return redis.error_reply('JOB_NOT_FOUND') end
  if TERMINAL_STATUSES[status] then return redis.error_reply('JOB_FINISHED') end
  return nil
end
