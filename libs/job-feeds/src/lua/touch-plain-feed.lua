-- Touches an owner's or a tag's feed (touch-feed.lua).
-- KEYS: the feed's clock, changes, channel. ARGV: job id, snapshot JSON, new epoch, maxJobs, ttl in ms.
return touchFeed(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], '')
