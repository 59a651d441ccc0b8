/**
 * Lua scripts for group membership in Redis. A group is a sorted set `PREFIX group:NAME` of channel
 * names scored by expiry time in ms, read from the Redis server's clock (TIME) so that processes with
 * skewed clocks agree; the key itself expires with its last member.
 *
 * Every script: KEYS[1] = group key, ARGV[1] = channel, ARGV[2] = expiry in ms.
 */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const TOUCH = `redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], top[2])`;

/** Adds or renews a membership. */
export const GROUP_ADD = `${NOW}
${TOUCH}
return 1`;

/** Adds (or renews) only if no other live member holds the group: 1 = held, 0 = taken by another. */
export const GROUP_CLAIM = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
if n > 1 then return 0 end
if n == 1 and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
${TOUCH}
return 1`;

/** Prunes lapsed members; returns {pruned count, live member...}. KEYS[1] only. */
export const GROUP_MEMBERS = `${NOW}
local pruned = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
table.insert(live, 1, tostring(pruned))
return live`;
