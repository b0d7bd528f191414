-- outputRefusal(at, pending): the error reply that refuses the output spec starting at ARGV[at], or nil.
-- KEYS[1]: the job's snapshot, which keeps each stream's length (`output:<key>`, UTF-16 code units) and the
-- job's output size (`outputBytes`, UTF-8 bytes) and number of streams (`outputStreams`, at most
-- OUTPUT_MAX_STREAMS, defined before this from contracts), so the bounds hold whoever writes: worker or service.
-- A spec is '' for an event that is not `output`, else: key, offset ('' for "where the stream ends"), the
-- text's length and size, the job's bound in bytes, then the event's JSON after its offset.
-- `pending` carries the lengths and size of the earlier events of the same batch, which all or none append.
local function outputRefusal(at, pending)
  local key = ARGV[at]
  if key == '' then return nil end
  local field = 'output:' .. key
  local length = pending[field] or tonumber(redis.call('HGET', KEYS[1], field) or '0')
  if length == 0 then
    local streams = (pending.streams or tonumber(redis.call('HGET', KEYS[1], 'outputStreams') or '0')) + 1
    if streams > OUTPUT_MAX_STREAMS then return redis.error_reply('OUTPUT_TOO_LARGE') end
    pending.streams = streams
  end
  local offset = ARGV[at + 1]
  if offset ~= '' and tonumber(offset) ~= length then
    return redis.error_reply('OUTPUT_OFFSET_MISMATCH ' .. length .. ' ' .. key)
  end
  local bytes = (pending.bytes or tonumber(redis.call('HGET', KEYS[1], 'outputBytes') or '0')) + tonumber(ARGV[at + 3])
  if bytes > tonumber(ARGV[at + 4]) then return redis.error_reply('OUTPUT_TOO_LARGE') end
  pending[field] = length + tonumber(ARGV[at + 2])
  pending.bytes = bytes
  return nil
end

-- The index of the first ARGV after the output spec at ARGV[at].
local function afterOutputSpec(at)
  if ARGV[at] == '' then return at + 1 end
  return at + 6
end
