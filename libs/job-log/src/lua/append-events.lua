-- Appends a batch of events to a job that has not ended, in order, all or none, once per idempotency key.
-- KEYS: the job's snapshot, log, channel, and the request's idempotency key (in the job's slot; unused when
-- ARGV[1] is '0').
-- ARGV: use the key ('1'|'0'), maxLen, ttl seconds, the job's new lease deadline in ms ('' for none), the
-- number of events, then for each: its JSON head and tail, terminal ('1'|'0'), its output spec, its snapshot
-- patch.
-- Answers the last seq; a request whose key was already applied appends nothing and answers the seq it did.
-- The caller checks that only the last event may be terminal, and every output spec is checked before the
-- first append, so nothing can fail half-way.
if ARGV[1] == '1' then
  local done = redis.call('GET', KEYS[4])
  if done then return done end
end
local refused = refuseEndedJob()
if refused then return refused end
local pending, at = {}, 6
for _ = 1, tonumber(ARGV[5]) do
  refused = outputRefusal(at + 3, pending)
  if refused then return refused end
  local patch = afterOutputSpec(at + 3)
  local setEnd = patch + 2 * tonumber(ARGV[patch])
  at = setEnd + 2 + tonumber(ARGV[setEnd + 1])
end
local seq = 0
at = 6
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
