/**
 * Lua run inside Redis so that a job's seq, log entry, snapshot and live publish change together:
 * a watcher can never see an event that is not in the log, nor a log entry that was never published.
 * All keys of one call share the job's hash tag, so this holds on a Redis Cluster too.
 */

// KEYS: snapshot, log, channel. ARGV: eventHead, eventTail, terminal ('1'|'0'), maxLen, ttlSeconds, patch pairs...
// The event JSON is spliced around the seq the script allocates, so Redis never parses JSON.
// A patch value of '' removes the field.
const APPEND_BODY = `
local seq = redis.call('HINCRBY', KEYS[1], 'lastSeq', 1)
local event = ARGV[1] .. seq .. ARGV[2]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '0-' .. seq, 'e', event)
local set, unset = {}, {}
for i = 6, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    unset[#unset + 1] = ARGV[i]
  else
    set[#set + 1] = ARGV[i]
    set[#set + 1] = ARGV[i + 1]
  end
end
-- One HSET for the whole patch: this runs for every progress event.
if #set > 0 then redis.call('HSET', KEYS[1], unpack(set)) end
if #unset > 0 then redis.call('HDEL', KEYS[1], unpack(unset)) end
if ARGV[3] == '1' then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
redis.call('SPUBLISH', KEYS[3], event)
return event
`;

/** Appends an event; answers the event JSON, or an error reply when the job is unknown or already finished. */
export const APPEND_EVENT_LUA = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('JOB_NOT_FOUND') end
if status == 'completed' or status == 'failed' or status == 'cancelled' then
  return redis.error_reply('JOB_FINISHED')
end
${APPEND_BODY}`;

/** Creates the snapshot from the patch and appends the first event; errors when the job already exists. */
export const CREATE_JOB_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('JOB_EXISTS') end
redis.call('HSET', KEYS[1], 'lastSeq', 0)
${APPEND_BODY}`;

// KEYS: snapshot, log. ARGV: the first seq wanted (afterSeq + 1, computed by the caller: Lua's numbers print
// as 1e+14 from there on, which is no stream id). Answers { snapshot hash as a flat list, the entries from it }.
export const READ_SINCE_LUA = `
local snapshot = redis.call('HGETALL', KEYS[1])
if #snapshot == 0 then return { snapshot, {} } end
return { snapshot, redis.call('XRANGE', KEYS[2], '0-' .. ARGV[1], '+') }
`;

// KEYS: snapshot. Marks a live job for cancellation, so a worker that picks it up later does not run it.
export const REQUEST_CANCEL_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'cancelRequested', '1')
return 1
`;
