// Budget alerts as the money scripts raise them, in the same atomic step as the move: a
// threshold reached sets its marker (HSETNX, once per window, scope and threshold, across every
// instance), and the alert goes to the team's alert history (the last ALERT_HISTORY_MAX alerts
// exactly, trimmed here with their deliveries' states) with one delivery per alert target on the
// team's delivery queue, so an instance that dies after the script loses none.
// An overrun always alerts. The scripts return the alerts raised (JSON) after their own reply.

import { luaScript } from '../lua-script.js';

/** A script's reply with the alerts it raised, as JSON (the store adds the team). */
export type Raising<Result> = Result & { raised?: string[] };
export const raising = (alerts: string[]) => (alerts.length > 0 ? { raised: alerts } : {});

/** Alerts kept in a team's history (delivery states are kept beside it, for these alerts only). */
export const ALERT_HISTORY_MAX = 1_000;

/** The keys every script that may raise an alert declares (all under the team's hash tag). */
export const ALERT_KEYS = ['alertStream', 'alertTargets', 'alertOutbox', 'deliveriesZset', 'alertDeliveries'] as const;
/** And the scripts that check thresholds: the key's and the team's markers of the budget windows. */
export const MARK_KEYS = ['keyMarks', 'teamMarks'] as const;
/** Thresholds as csv ('' for none) and when the markers' hashes expire ('' never). */
export const MARK_ARGV = ['keyThresholds', 'teamThresholds', 'keyMarksUntil', 'teamMarksUntil'] as const;

/** The member of the delivery queue for an alert delivery: its fields live in the outbox hash. */
export const ALERT_DELIVERY_PREFIX = 'alert:';

/** After MOVE: raising alerts (collected in `fired`), and an overrun's. */
export const ALERT = `
local fired = {}

-- The history keeps the last ${ALERT_HISTORY_MAX} alerts; the delivery states of those it lets go go too.
local function trimHistory()
  local excess = redis.call('XLEN', alertStream) - ${ALERT_HISTORY_MAX}
  if excess <= 0 then return end
  for _, entry in ipairs(redis.call('XRANGE', alertStream, '-', '+', 'COUNT', excess)) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'targets' then
        for targetId in string.gmatch(fields[i + 1], '[^,]+') do
          redis.call('HDEL', alertDeliveries, entry[1] .. '/' .. targetId)
        end
      end
    end
  end
  redis.call('XTRIM', alertStream, 'MAXLEN', ${ALERT_HISTORY_MAX})
end

local function raise(alert)
  alert.at = tonumber(now)
  local targets = redis.call('HVALS', alertTargets)
  local ids = {}
  for i, json in ipairs(targets) do
    targets[i] = cjson.decode(json)
    ids[i] = targets[i].id
  end
  alert.id = redis.call('XADD', alertStream, '*', 'kind', alert.kind, 'key', alert.keyId or '',
    'threshold', alert.threshold or '', 'window', alert.window, 'spent', alert.spent, 'limit', alert.limit or '', 'credits', alert.credits, 'at', now,
    'targets', table.concat(ids, ','))
  trimHistory()
  alert.targets = ids
  if alert.keyId == nil then alert.keyId = cjson.null end
  if alert.threshold == nil then alert.threshold = cjson.null end
  if alert.limit == nil then alert.limit = cjson.null end
  for _, target in ipairs(targets) do
    local deliveryId = alert.id .. '/' .. target.id
    redis.call('HSET', alertOutbox, deliveryId,
      cjson.encode({alert = alert, targetId = target.id, url = target.url, attempts = 0}))
    redis.call('ZADD', deliveriesZset, now, '${ALERT_DELIVERY_PREFIX}' .. deliveryId)
  end
  fired[#fired + 1] = cjson.encode(alert)
end

-- An overrun always alerts, in the month of its windows, with the team's spend there.
local function overrunAlert(keyId, windows, overrun)
  if overrun <= 0 then return end
  local month = string.match(windows, '^[^,]+,[^,]+,([^,]+)') or string.match(windows, '^[^,]+')
  local spent = tonumber(redis.call('HGET', spendHash, 'team:' .. month) or '0')
  raise({kind = 'overrun', keyId = keyId, window = month, spent = spent, credits = overrun})
end
`;

/** After ALERT, in the scripts given MARK_KEYS and MARK_ARGV with the budget's inputs. */
export const THRESHOLDS = `
-- Each threshold (csv of percents) that spend has reached, once per window: the marker's field
-- names the scope (team, or the key) and the threshold. At or above, not crossed by this move, so
-- a level passed by an overrun or under a budget lowered mid-window fires on the next check.
local function reached(scope, keyId, thresholds, marks, marksUntil, window, limit, spent, credits)
  limit = tonumber(limit)
  if thresholds == '' or window == '' or limit <= 0 then return end
  for t in string.gmatch(thresholds, '[^,]+') do
    if spent * 100 >= tonumber(t) * limit and redis.call('HSETNX', marks, scope .. ':' .. t, now) == 1 then
      if marksUntil ~= '' then redis.call('PEXPIREAT', marks, marksUntil) end
      raise({kind = 'threshold', keyId = keyId, threshold = tonumber(t), window = window, spent = spent,
        limit = limit, credits = credits})
    end
  end
end

-- The key's and the team's thresholds, for credits (0 for a refused request) just added to the
-- spend room() had read.
local function checkThresholds(keyId, credits)
  if seen.key ~= nil then
    reached('key:' .. keyId, keyId, keyThresholds, keyMarks, keyMarksUntil, keyWindow, keyLimit,
      seen.key + credits, credits)
  end
  if seen.team ~= nil then
    reached('team', nil, teamThresholds, teamMarks, teamMarksUntil, teamWindow, teamLimit,
      seen.team + credits, credits)
  end
end
`;

/**
 * An alert delivery's outcome, recorded only while its outbox entry is there: a late retry of a
 * delivery another instance has finished writes nothing and queues nothing. A retry puts the
 * entry (`entry`, JSON with its attempts) back and queues it at `dueAt`; delivered or failed, the
 * entry and its queue member go. The state (`<state>:<attempts>`) goes beside the history while
 * the alert is kept there. Returns whether it recorded anything.
 */
export const RECORD_ALERT_DELIVERY = luaScript({
  name: 'gwRecordAlertDelivery',
  keys: ['alertOutbox', 'deliveriesZset', 'alertDeliveries', 'alertStream'],
  argv: ['field', 'alertId', 'state', 'attempts', 'entry', 'dueAt'],
  body: `
local member = '${ALERT_DELIVERY_PREFIX}' .. field
if redis.call('HEXISTS', alertOutbox, field) == 0 then
  redis.call('ZREM', deliveriesZset, member)
  return 0
end
if state == 'pending' then
  redis.call('HSET', alertOutbox, field, entry)
  redis.call('ZADD', deliveriesZset, dueAt, member)
else
  redis.call('HDEL', alertOutbox, field)
  redis.call('ZREM', deliveriesZset, member)
end
if #redis.call('XRANGE', alertStream, alertId, alertId) > 0 then
  redis.call('HSET', alertDeliveries, field, state .. ':' .. attempts)
end
return 1
`,
  decode: (recorded: number) => recorded === 1,
});

export const ALERT_SCRIPTS = [RECORD_ALERT_DELIVERY];
