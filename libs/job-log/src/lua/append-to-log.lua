-- append(head, tail, terminal, maxLen, ttl, at): appends one event to a job, as every script that appends
-- does. KEYS: the job's snapshot, log, channel.
--
-- The event's JSON comes in two halves, spliced around the seq allocated here, so Redis never parses JSON.
-- At ARGV[at] comes its output spec (output-refusal.lua; checked by the caller before anything is appended):
-- an `output` event's offset is where its stream ends, spliced in after `tail`, followed by the rest of its
-- JSON. Then its snapshot patch: how many fields it sets, their names and values, then how many it removes,
-- and their names. A terminal event ('1') starts the job's retention (`ttl` seconds). The log keeps about
-- `maxLen` events.
--
-- Answers the seq, the event, and the index of the first ARGV after the patch.
local function append(head, tail, terminal, maxLen, ttl, at)
  local seq = redis.call('HINCRBY', KEYS[1], 'lastSeq', 1)
  local event = head .. seq .. tail
  if ARGV[at] ~= '' then
    local length = tonumber(ARGV[at + 2])
    local offset = redis.call('HINCRBY', KEYS[1], 'output:' .. ARGV[at], length) - length
    redis.call('HINCRBY', KEYS[1], 'outputBytes', ARGV[at + 3])
    if offset == 0 then redis.call('HINCRBY', KEYS[1], 'outputStreams', 1) end
    event = event .. offset .. ARGV[at + 5]
  end
  at = afterOutputSpec(at)
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
