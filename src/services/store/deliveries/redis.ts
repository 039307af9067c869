// The delivery queue on Redis: one hash per delivery, a zset of them by due time per team. Alert
// deliveries sit on the same zset, their fields in the team's alert outbox (../alerts/redis.ts).
import type { WebhookDelivery } from '../../../domain/deliveries.js';
import { claimedAlertDeliveries, isAlertDelivery, recordAlertDelivery } from '../alerts/redis.js';
import { teamKeys, type RedisContext } from '../redis-context.js';
import type { DeliveryQueue } from './contract.js';
import { CLAIM_DELIVERIES, RECORD_DELIVERY } from './lua.js';

export function createRedisDeliveries(context: RedisContext): DeliveryQueue {
  const { redis, guarded } = context;

  async function claimedRelays(team: string, ids: string[]): Promise<WebhookDelivery[]> {
    const keys = teamKeys(team);
    const rows = await Promise.all(ids.map((id) => redis.hgetall(keys.delivery(id))));
    // An id whose record is gone was finished by another claim: it leaves the queue.
    const finished = ids.filter((_, i) => !rows[i]!.url);
    if (finished.length > 0) await redis.zrem(keys.deliveries, ...finished);
    return rows.flatMap((row, i): WebhookDelivery[] => {
      if (!row.url) return [];
      const { jobId, keyId, url, event, body, attempts } = row;
      return [
        {
          id: ids[i]!,
          team,
          jobId: jobId!,
          keyId: keyId!,
          url,
          event: event!,
          body: body!,
          attempts: Number(attempts),
        },
      ];
    });
  }

  return {
    enqueueDelivery: (delivery, dueAt) =>
      guarded(async () => {
        const keys = teamKeys(delivery.team);
        const { id, jobId, keyId, url, event, body, attempts } = delivery;
        await redis
          .multi()
          .hset(keys.delivery(id), { jobId, keyId, url, event, body, attempts })
          .zadd(keys.deliveries, dueAt, id)
          .exec();
      }),

    claimDueDeliveries: (team, now, leaseMs, limit) =>
      guarded(async () => {
        const keys = teamKeys(team);
        const ids = await CLAIM_DELIVERIES.run(redis, { deliveriesZset: keys.deliveries, now, leaseMs, limit });
        const [relays, alerts] = await Promise.all([
          claimedRelays(
            team,
            ids.filter((id) => !isAlertDelivery(id)),
          ),
          claimedAlertDeliveries(
            context,
            team,
            ids.filter((id) => isAlertDelivery(id)),
          ),
        ]);
        return [...relays, ...alerts];
      }),

    recordDelivery: (delivery, outcome) =>
      guarded(async () => {
        if (delivery.alert) return recordAlertDelivery(context, { ...delivery, alert: delivery.alert }, outcome);
        const keys = teamKeys(delivery.team);
        const retry = outcome.state === 'retry';
        await RECORD_DELIVERY.run(redis, {
          deliveryHash: keys.delivery(delivery.id),
          deliveriesZset: keys.deliveries,
          id: delivery.id,
          retry: retry ? '1' : '0',
          attempts: delivery.attempts,
          dueAt: retry ? outcome.at : '',
        });
      }),
  };
}
