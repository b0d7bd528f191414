import { TERMINAL_STATUSES } from '@jobcast/contracts';

/**
 * Lua run inside Redis so that a job's seq, log entry, snapshot and live publish change together:
 * a watcher can never see an event that is not in the log, nor a log entry that was never published.
 * All keys of one call share the job's hash tag, so this holds on a Redis Cluster too.
 */

// Appends one event: KEYS snapshot, log, channel. The event JSON is spliced around the seq the script
// allocates, so Redis never parses JSON. Its snapshot patch starts at ARGV[at]: how many fields it sets,
// their names and values, then how many it removes, and their names. A terminal event starts the job's
// retention (`ttl` s). Answers the seq, the event, and the index of the ARGV after the patch.
const APPEND_ONE = `
local function append(head, tail, terminal, maxLen, ttl, at)
  local seq = redis.call('HINCRBY', KEYS[1], 'lastSeq', 1)
  local event = head .. seq .. tail
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxLen, '0-' .. seq, 'e', event)
  local setEnd = at + 2 * tonumber(ARGV[at])
  -- One HSET for the whole patch: this runs for every progress event.
  if setEnd > at then redis.call('HSET', KEYS[1], unpack(ARGV, at + 1, setEnd)) end
  local removeEnd = setEnd + 1 + tonumber(ARGV[setEnd + 1])
  if removeEnd > setEnd + 1 then redis.call('HDEL', KEYS[1], unpack(ARGV, setEnd + 2, removeEnd)) end
  if terminal == '1' then
    redis.call('EXPIRE', KEYS[1], ttl)
    redis.call('EXPIRE', KEYS[2], ttl)
  end
  redis.call('SPUBLISH', KEYS[3], event)
  return seq, event, removeEnd + 1
end
`;

// Refuses a job that does not exist or has ended; which statuses end a job is the contracts' TERMINAL_STATUSES.
const REFUSE_FINISHED = `
local terminal = { ${TERMINAL_STATUSES.map((status) => `['${status}'] = true`).join(', ')} }
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('JOB_NOT_FOUND') end
if terminal[status] then return redis.error_reply('JOB_FINISHED') end
`;

/**
 * Appends an event; answers the event JSON, or an error reply when the job is unknown or already finished.
 * ARGV: eventHead, eventTail, terminal ('1'|'0'), maxLen, ttlSeconds, snapshot patch.
 */
export const APPEND_EVENT_LUA = `${APPEND_ONE}${REFUSE_FINISHED}
local _, event = append(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], 6)
return event
`;

/**
 * Creates the snapshot from the patch and appends the first event; errors when the job already exists.
 * ARGV as APPEND_EVENT_LUA's, after one more first: the job's longest life in ms (JOB_MAX_AGE), which its
 * keys get from creation, finished or not.
 */
export const CREATE_JOB_LUA = `${APPEND_ONE}
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('JOB_EXISTS') end
redis.call('HSET', KEYS[1], 'lastSeq', 0)
local _, event = append(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], 7)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return event
`;

/**
 * Appends a batch of events in order, all or none, once per idempotency key.
 * KEYS: snapshot, log, channel, the request's idempotency key (in the job's slot; unused when ARGV[1] is '0').
 * ARGV: use the key ('1'|'0'), maxLen, ttlSeconds, lease deadline in ms ('' for none), event count, then per
 * event: head, tail, terminal, snapshot patch.
 * Answers the last seq; a request whose key was already applied appends nothing and answers the seq it did.
 * The caller checks that only the last event may be terminal, so nothing can fail half-way.
 */
export const APPEND_EVENTS_LUA = `${APPEND_ONE}
if ARGV[1] == '1' then
  local done = redis.call('GET', KEYS[4])
  if done then return done end
end
${REFUSE_FINISHED}
local seq, at = 0, 6
for _ = 1, tonumber(ARGV[5]) do
  local appended, _, nextAt = append(ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[2], ARGV[3], at + 3)
  seq, at = appended, nextAt
end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'leaseUntil', ARGV[4]) end
if ARGV[1] == '1' then
  -- Kept as long as the job itself, so a retry is answered the same for the job's whole life.
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('SET', KEYS[4], seq, 'PX', ttl) else redis.call('SET', KEYS[4], seq) end
end
return tostring(seq)
`;

/**
 * Fails a job whose lease ran out, if it still has: its lease deadline is in the snapshot, so an append
 * that renewed it in the meantime wins. KEYS: snapshot, log, channel. ARGV: now in ms, then as
 * APPEND_EVENT_LUA's. Answers the event JSON, or the renewed deadline when the lease is not over.
 */
export const EXPIRE_LEASE_LUA = `${APPEND_ONE}${REFUSE_FINISHED}
local leaseUntil = tonumber(redis.call('HGET', KEYS[1], 'leaseUntil') or '0')
if leaseUntil > tonumber(ARGV[1]) then return tostring(leaseUntil) end
local _, event = append(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], 7)
return event
`;

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
