-- Marks a live job for cancellation, so that a worker that picks it up later cancels it instead of running it.
-- KEYS: the job's snapshot.
-- Answers 1, or 0 when the job does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'cancelRequested', '1')
return 1
