import createBatch from './lua/create-batch.lua';
import readFeed from './lua/read-feed.lua';
import touchBatchFeed from './lua/touch-batch-feed.lua';
import touchFeed from './lua/touch-feed.lua';
import touchPlainFeed from './lua/touch-plain-feed.lua';

/**
 * The feed store's scripts, from the Lua files in ./lua. All keys of one call share the feed's hash tag (see
 * RedisKeys.ofFeed), so a feed's clock, changes, publish and a batch's counts move together on a Cluster too.
 */
export const TOUCH_FEED_LUA = [touchFeed, touchPlainFeed].join('\n');
export const TOUCH_BATCH_FEED_LUA = [touchFeed, touchBatchFeed].join('\n');
export const READ_FEED_LUA = readFeed;
export const CREATE_BATCH_LUA = createBatch;
