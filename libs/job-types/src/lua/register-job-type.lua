-- Registers (or refreshes) one job type for one worker, so that a registration, its expiry and its worker's
-- liveness change together. Every key shares the `{<prefix>:job-types}` hash tag, so this holds on a Cluster.
-- KEYS: registrations (hash name -> JSON), expiry (hash name -> ms), workers (zset "<name> <workerId>" -> ms).
-- ARGV: name, registration JSON, schemaHash, registeredAt, type expiresAt, workerId, worker expiresAt, now,
--       max types, key TTL ms.
-- Answers { outcome, their schemaHash while its writer is live, else '' }: 'registered' (new), 'refreshed'
-- (same schema), 'replaced' (ours is newer, or theirs has no live writer), 'superseded' (theirs is newer and
-- live); TOO_MANY_JOB_TYPES when a new type would pass the max.
local name, now = ARGV[1], tonumber(ARGV[8])
local expiry = redis.call('HGETALL', KEYS[2])
for i = 1, #expiry, 2 do
  if tonumber(expiry[i + 1]) < now then
    redis.call('HDEL', KEYS[1], expiry[i])
    redis.call('HDEL', KEYS[2], expiry[i])
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local member = name .. ' ' .. ARGV[6]
redis.call('ZADD', KEYS[3], ARGV[7], member)
local outcome, theirs = 'registered', ''
local current = redis.call('HGET', KEYS[1], name)
if current then
  local stored = cjson.decode(current)
  local theirLive = stored.registeredBy == ARGV[6] or redis.call('ZSCORE', KEYS[3], name .. ' ' .. stored.registeredBy)
  if stored.schemaHash == ARGV[3] then
    outcome = 'refreshed'
  else
    outcome = 'replaced'
    -- A different schema is a conflict only while a worker that registered it still runs.
    if theirLive then theirs = stored.schemaHash end
  end
  if theirLive and tonumber(ARGV[4]) < stored.registeredAt then
    if outcome == 'replaced' then outcome = 'superseded' end
  else
    redis.call('HSET', KEYS[1], name, ARGV[2])
  end
else
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[9]) then return redis.error_reply('TOO_MANY_JOB_TYPES') end
  redis.call('HSET', KEYS[1], name, ARGV[2])
end
if tonumber(redis.call('HGET', KEYS[2], name) or '0') < tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[2], name, ARGV[5])
end
for i = 1, 3 do
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[10]) then redis.call('PEXPIRE', KEYS[i], ARGV[10]) end
end
return { outcome, theirs }
