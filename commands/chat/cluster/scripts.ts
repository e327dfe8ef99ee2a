/**
 * The Lua scripts of the cluster (run with `EVALSHA`; Redis runs each atomically, which is
 * what makes a claim, its announcement and the reaping of a dead node race-free). Every
 * script gets the room's key prefix as ARGV[1] and the stream's cap as ARGV[2]; keys are
 * built inside (one Redis or a primary, not Redis Cluster's hash slots). The keys and
 * fields are documented in `docs/PROTOCOL.md`, "Cluster".
 *
 * @module
 */

/** Claim `name:KEY` for NODE/CONN (SET NX PX), note it in `members:NODE`, publish the join. */
const join = `
local p, node, conn, key, name, ttl, event = ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
if not redis.call('SET', p .. 'name:' .. key, node .. '/' .. conn, 'NX', 'PX', ttl) then
  return 'taken'
end
local id = redis.call('XADD', p .. 'events', 'MAXLEN', '~', ARGV[2], '*', 'e', event)
redis.call('HSET', p .. 'members:' .. node, key, cjson.encode({name = name, conn = conn, since = id}))
return id
`;

/**
 * Publish events of the holder of `name:KEY` (ARGV 7 onwards, in order), only while
 * NODE/CONN still holds it, and note SEQ (the `seq` of the last of them) as the node's
 * last published: a node that lost the answer learns from it whether this ran.
 * Returns how many.
 */
const publish = `
local p, node, conn, key, seq = ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('GET', p .. 'name:' .. key) ~= node .. '/' .. conn then return 'lost' end
for i = 7, #ARGV do
  redis.call('XADD', p .. 'events', 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[i])
end
redis.call('HSET', p .. 'published', node, seq)
return #ARGV - 6
`;

/** Release `name:KEY` (owner-checked) and publish the leave. */
const leave = `
local p, node, conn, key, event = ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('GET', p .. 'name:' .. key) ~= node .. '/' .. conn then return 'lost' end
redis.call('DEL', p .. 'name:' .. key)
redis.call('HDEL', p .. 'members:' .. node, key)
return redis.call('XADD', p .. 'events', 'MAXLEN', '~', ARGV[2], '*', 'e', event)
`;

/** Move a claim from OLD to NEW (NEW claimed NX unless it folds to OLD) and publish the nick. */
const nick = `
local p, node, conn, old, new, name, ttl, event =
  ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local owner = node .. '/' .. conn
if redis.call('GET', p .. 'name:' .. old) ~= owner then return 'lost' end
local members = p .. 'members:' .. node
local info = cjson.decode(redis.call('HGET', members, old) or '{}')
if new ~= old then
  if not redis.call('SET', p .. 'name:' .. new, owner, 'NX', 'PX', ttl) then return 'taken' end
  redis.call('DEL', p .. 'name:' .. old)
  redis.call('HDEL', members, old)
end
local id = redis.call('XADD', p .. 'events', 'MAXLEN', '~', ARGV[2], '*', 'e', event)
redis.call('HSET', members, new, cjson.encode({name = name, conn = conn, since = info.since or id}))
return id
`;

/**
 * This node's heartbeat: refresh `node:NODE` (its value: the time of the beat) and the
 * expiry of its claims (taking a claim that ran out again, if no one else has), check
 * the room's epoch (a Redis restarted empty has none), and reap every node whose
 * heartbeat expired: take it out of `nodes` (so only one reaper ever finds it), free its
 * names and publish a `node_lost` leave for each of its people. A node reaps only when
 * its own previous beat was at most 1.5 beat periods ago: after a stall (Redis paused,
 * or this node), the heartbeats of nodes that lived on may have run out meanwhile, and
 * they get a beat period to show up again before anyone takes them for dead.
 * ARGV: 3 node, 4 heartbeat ttl, 5 claim ttl, 6 a fresh epoch to set if none, 7 the
 * epoch this node knows ('' at first), 8 the beat period (ms). Returns {status, epoch,
 * reaped}; status is `ok`, `reset` (the epoch changed) or `reaped` (others took this
 * node for dead).
 */
const beat = `
local p, node, hb, claim, fresh, known = ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local every = tonumber(ARGV[8])
local status = 'ok'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local epoch = redis.call('GET', p .. 'epoch')
if not epoch then
  epoch = fresh
  redis.call('SET', p .. 'epoch', epoch)
end
if known ~= '' and known ~= epoch then
  status = 'reset'
elseif known ~= '' and redis.call('HEXISTS', p .. 'nodes', node) == 0 then
  status = 'reaped'
end
local prev = tonumber(redis.call('GET', p .. 'node:' .. node))
local steady = prev ~= nil and now - prev <= every * 1.5
redis.call('SET', p .. 'node:' .. node, tostring(now), 'PX', hb)
redis.call('HSET', p .. 'nodes', node, '1')
local members = p .. 'members:' .. node
for _, key in ipairs(redis.call('HKEYS', members)) do
  if redis.call('PEXPIRE', p .. 'name:' .. key, claim) == 0 then
    local info = cjson.decode(redis.call('HGET', members, key))
    redis.call('SET', p .. 'name:' .. key, node .. '/' .. info.conn, 'NX', 'PX', claim)
  end
end
local reaped = 0
for _, other in ipairs(steady and redis.call('HKEYS', p .. 'nodes') or {}) do
  if other ~= node and redis.call('EXISTS', p .. 'node:' .. other) == 0 then
    redis.call('HDEL', p .. 'nodes', other)
    local gone = redis.call('HGETALL', p .. 'members:' .. other)
    for i = 1, #gone, 2 do
      local info = cjson.decode(gone[i + 1])
      if redis.call('GET', p .. 'name:' .. gone[i]) == other .. '/' .. info.conn then
        redis.call('DEL', p .. 'name:' .. gone[i])
      end
      redis.call('XADD', p .. 'events', 'MAXLEN', '~', ARGV[2], '*', 'e', cjson.encode({
        type = 'leave', name = info.name, reason = 'node_lost', ts = now,
        node = other, conn = tonumber(info.conn)
      }))
      reaped = reaped + 1
    end
    redis.call('DEL', p .. 'members:' .. other)
    redis.call('HDEL', p .. 'published', other)
  end
end
return {status, epoch, reaped}
`;

/**
 * Re-claims this node's people after a reset or after being reaped. ARGV: 3 node,
 * 4 claim ttl, 5 '1' to publish each one's join again (after a reap others saw them
 * leave), then for each person: conn, key, name, join event. Returns the conns whose
 * name someone else took meanwhile.
 */
const rejoin = `
local p, node, ttl, announce = ARGV[1], ARGV[3], ARGV[4], ARGV[5]
local members = p .. 'members:' .. node
local lost = {}
for i = 6, #ARGV, 4 do
  local conn, key, name, event = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local owner = node .. '/' .. conn
  local holder = redis.call('GET', p .. 'name:' .. key)
  if holder == owner or (not holder and redis.call('SET', p .. 'name:' .. key, owner, 'PX', ttl)) then
    local id = '0-0'
    if announce == '1' then
      id = redis.call('XADD', p .. 'events', 'MAXLEN', '~', ARGV[2], '*', 'e', event)
    end
    redis.call('HSET', members, key, cjson.encode({name = name, conn = conn, since = id}))
  else
    table.insert(lost, conn)
  end
end
return lost
`;

/**
 * The room as a newcomer node finds it, in one atomic look: the id of the stream's last
 * entry (to read on from) and the people of every live node.
 * Returns {lastId, {key, name, node, conn, since}, ...}.
 */
const snapshot = `
local p = ARGV[1]
local last = redis.call('XREVRANGE', p .. 'events', '+', '-', 'COUNT', 1)
local out = {last[1] and last[1][1] or '0-0'}
for _, node in ipairs(redis.call('HKEYS', p .. 'nodes')) do
  if redis.call('EXISTS', p .. 'node:' .. node) == 1 then
    local m = redis.call('HGETALL', p .. 'members:' .. node)
    for i = 1, #m, 2 do
      local info = cjson.decode(m[i + 1])
      table.insert(out, {m[i], info.name, node, tostring(info.conn), tostring(info.since)})
    end
  end
end
return out
`;

/**
 * The id of the oldest entry the stream still holds ('0-0' when it holds none): a node
 * whose last delivered id is older than that missed what the cap trimmed away. (Redis 7's
 * `max-deleted-entry-id` would be simpler, but only XDEL moves it: trimming, by XTRIM or
 * XADD MAXLEN, leaves it at 0-0.)
 */
const trimmed = `
local first = redis.call('XRANGE', ARGV[1] .. 'events', '-', '+', 'COUNT', 1)
return first[1] and first[1][1] or '0-0'
`;

/** This node leaves the room for good (SIGTERM): its heartbeat, entry and hash go. */
const bye = `
local p, node = ARGV[1], ARGV[3]
redis.call('DEL', p .. 'node:' .. node)
redis.call('HDEL', p .. 'nodes', node)
redis.call('DEL', p .. 'members:' .. node)
redis.call('HDEL', p .. 'published', node)
return 1
`;

/**
 * The scripts by name.
 *
 * @example
 * ```ts
 * await client.scriptLoad(SCRIPTS.join);
 * ```
 */
export const SCRIPTS = {
  join,
  publish,
  leave,
  nick,
  beat,
  rejoin,
  snapshot,
  trimmed,
  bye,
} as const;

/** The name of one script. */
export type ScriptName = keyof typeof SCRIPTS;
