// One team's budget alerts in the memory store: its targets, its history and the markers that
// let each threshold fire once per window, raised into the shared delivery queue.
import { markersExpireAt, pendingDeliveries, type Alert, type AlertTarget } from '../../../domain/alerts.js';
import { alertDelivery, type WebhookDelivery } from '../../../domain/deliveries.js';
import { ALERT_DELIVERY_PREFIX, ALERT_HISTORY_MAX } from './lua.js';

/** The delivery queue as the memory store keeps it (shared by deliveries and alerts). */
export type MemoryQueue = Map<string, { delivery: WebhookDelivery; dueAt: number }>;

/** One team's alert targets, history (oldest first) and markers (by window, scope and threshold). */
export class TeamAlerts {
  readonly targets = new Map<string, AlertTarget>();
  readonly history: Alert[] = [];
  private readonly marks = new Map<string, number>();
  private sequence = 0;

  constructor(
    private readonly team: string,
    private readonly queue: MemoryQueue,
  ) {}

  /** Sets a marker unless it is set: true when this call set it. Markers past their window go. */
  mark(window: string, field: string, now: number): boolean {
    for (const [marker, until] of this.marks) if (until <= now) this.marks.delete(marker);
    const marker = `${window}|${field}`;
    if (this.marks.has(marker)) return false;
    const until = markersExpireAt(window);
    this.marks.set(marker, until === '' ? Number.POSITIVE_INFINITY : until);
    return true;
  }

  /** Records an alert with a pending delivery per target, queued at once. */
  raise(fields: Omit<Alert, 'id' | 'team' | 'at' | 'deliveries'>, now: number): Alert {
    const alert: Alert = {
      ...fields,
      id: `${now}-${++this.sequence}`,
      team: this.team,
      at: new Date(now).toISOString(),
      deliveries: pendingDeliveries(this.targets.keys()),
    };
    this.history.push(alert);
    if (this.history.length > ALERT_HISTORY_MAX) this.history.shift();
    for (const target of this.targets.values()) {
      const id = `${ALERT_DELIVERY_PREFIX}${alert.id}/${target.id}`;
      const delivery = alertDelivery(id, structuredClone(alert), { targetId: target.id, url: target.url, attempts: 0 });
      this.queue.set(id, { delivery, dueAt: now });
    }
    return structuredClone(alert);
  }
}
