/**
 * Lua scripts of the Redis session directory (docs/scale-out.md#what-redis-holds). Each session is a
 * hash `PREFIX session:ID` (node, channel, url, transport, carrier, handler, started, recording) that
 * expires with its lease, and a member of the sorted set `PREFIX sessions` scored by its lease's end,
 * read from the Redis server's clock (TIME) so nodes with skewed clocks agree on who lapsed.
 *
 * KEYS[1] = the sessions sorted set, KEYS[2] = the session's hash. ARGV[1] = id, ARGV[2] = lease ms.
 */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const WRITE = `redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])`;

/**
 * Atomic cluster admission. ARGV[3] = limit (-1: none), ARGV[4..] = the hash's field/value pairs.
 * Returns {1} admitted, {0, 'duplicate'} or {0, 'limit'}; lapsed leases are pruned first.
 */
export const DIRECTORY_ADMIT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, 'duplicate'} end
local limit = tonumber(ARGV[3])
if limit >= 0 and redis.call('ZCARD', KEYS[1]) >= limit then return {0, 'limit'} end
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
${WRITE}
return {1}`;

/**
 * Renews one lease of node ARGV[3] (session started at ARGV[4] ms), registering it again when the key
 * is gone (Redis restarted, or the lease lapsed while Redis was away). When another node holds the id,
 * the earlier session keeps it (ties: the smaller node id). Returns 1 held, 0 lost to the other node.
 * ARGV[5..] = the hash's field/value pairs.
 */
export const DIRECTORY_RENEW = `${NOW}
local holder = redis.call('HMGET', KEYS[2], 'node', 'started')
if holder[1] and holder[1] ~= ARGV[3] then
  local theirs = tonumber(holder[2]) or 0
  local mine = tonumber(ARGV[4])
  if theirs < mine or (theirs == mine and holder[1] < ARGV[3]) then return 0 end
  redis.call('DEL', KEYS[2])
  holder[1] = false
end
if not holder[1] then redis.call('HSET', KEYS[2], unpack(ARGV, 5)) end
${WRITE}
return 1`;

/** Removes a session if node ARGV[2] holds it. Returns 1 removed, 0 not held. */
export const DIRECTORY_RELEASE = `if redis.call('HGET', KEYS[2], 'node') == ARGV[2] then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0`;

/** Every live session: prunes lapsed leases, returns one HGETALL array per session. ARGV[1] = key prefix. */
export const DIRECTORY_LIST = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local fields = redis.call('HGETALL', ARGV[1] .. id)
  if #fields > 0 then table.insert(out, fields) end
end
return out`;
