// Object ownership on Redis: one key per asset or LoRA under its team's tag, an upload's owner
// under a digest of its URL (one expiring SET, so it is never half written), a LoRA's charge and
// refund by ./lua.ts.
import { createHash } from 'node:crypto';
import { moneyInputs } from '../credits/redis.js';
import { type LedgerOptions, teamKeys, uploadUrlKey, type RedisContext } from '../redis-context.js';
import type { ObjectOwnership } from './contract.js';
import { alertInputs, announceAlerts } from '../alerts/redis.js';
import { CHARGE_LORA, REFUND_LORA } from './lua.js';

const digest = (url: string) => createHash('sha256').update(url).digest('base64url');

export function createRedisObjects(context: RedisContext, ledger: LedgerOptions): ObjectOwnership {
  const { redis, guarded, money } = context;
  return {
    recordObject: ({ team, kind, id }) =>
      guarded(async () => {
        await redis.set(teamKeys(team).object(kind, id), '1');
      }),

    recordUpload: ({ team, url, ttlMs }) =>
      guarded(async () => {
        await redis.set(uploadUrlKey(digest(url)), team, 'PX', ttlMs);
      }),

    ownedObjects: (team, kind, ids) =>
      guarded(async () => {
        if (ids.length === 0) return [];
        const found = await Promise.all(ids.map((id) => redis.exists(teamKeys(team).object(kind, id))));
        return found.map((count) => count === 1);
      }),

    uploadUrlOwner: (url) => guarded(() => redis.get(uploadUrlKey(digest(url)))),

    chargeLora: (r) =>
      guarded(async () => {
        const keys = teamKeys(r.team);
        const reply = await money(CHARGE_LORA, {
          reservationHash: keys.reservation(r.reservationId),
          leasesZset: keys.leases,
          loraHash: keys.object('lora', r.loraId),
          pendingZset: keys.pendingLoras,
          reservationId: r.reservationId,
          loraId: r.loraId,
          keyId: r.keyId,
          model: r.model,
          windows: r.windows.join(','),
          credits: r.credits,
          unclear: r.unclear ?? '',
          ...moneyInputs(r.team, r.windows[0]!, r, ledger),
          ...alertInputs(r.team),
        });
        return announceAlerts(context, r, reply);
      }),

    refundLora: (r) =>
      guarded(async () => {
        const keys = teamKeys(r.team);
        const loraHash = keys.object('lora', r.loraId);
        // The accounting day never changes once charged; the script checks the state itself.
        const windows = await redis.hget(loraHash, 'windows');
        if (windows === null) return 0;
        return money(REFUND_LORA, {
          loraHash,
          pendingZset: keys.pendingLoras,
          loraId: r.loraId,
          why: r.why,
          ...moneyInputs(r.team, windows.split(',')[0]!, r, ledger),
        });
      }),

    closeLora: (team, loraId) =>
      guarded(async () => {
        await redis.zrem(teamKeys(team).pendingLoras, loraId);
      }),

    pendingLoras: (team, limit) => guarded(() => redis.zrange(teamKeys(team).pendingLoras, 0, limit - 1)),
  };
}
