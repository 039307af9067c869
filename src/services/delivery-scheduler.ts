// Runs webhook deliveries concurrently and fairly: at most `total` at once, `perTeam` for one
// team and `perReceiver` for one team's receiver (a URL origin), so a slow receiver holds only
// its own slots and never delays another team or another receiver. A delivery that cannot start
// yet waits, in order, without holding a slot; a receiver with `receiverBacklog` deliveries
// already held takes no more (they stay queued in the store until offered again).

export interface SchedulerLimits {
  total: number;
  perTeam: number;
  perReceiver: number;
  receiverBacklog: number;
}

export interface ScheduledDelivery {
  team: string;
  /** The team's receiver, e.g. its URL origin. */
  receiver: string;
  run(): Promise<void>;
}

/** Counts by key, forgetting keys that fall back to zero. */
function createTally() {
  const counts = new Map<string, number>();
  return {
    get: (key: string) => counts.get(key) ?? 0,
    add(key: string, delta: number): void {
      const next = (counts.get(key) ?? 0) + delta;
      if (next === 0) counts.delete(key);
      else counts.set(key, next);
    },
  };
}

export function createDeliveryScheduler(limits: SchedulerLimits) {
  const waiting: ScheduledDelivery[] = [];
  const running = new Set<Promise<void>>();
  const held = createTally();
  const active = createTally();
  let closed = false;
  const receiverKey = (delivery: ScheduledDelivery) => `${delivery.team}\n${delivery.receiver}`;

  function hold(delivery: ScheduledDelivery, delta: number, tally = held): void {
    tally.add(delivery.team, delta);
    tally.add(receiverKey(delivery), delta);
  }

  function canStart(delivery: ScheduledDelivery): boolean {
    return active.get(delivery.team) < limits.perTeam && active.get(receiverKey(delivery)) < limits.perReceiver;
  }

  function start(delivery: ScheduledDelivery): void {
    hold(delivery, 1, active);
    const done: Promise<void> = delivery
      .run()
      .catch(() => undefined)
      .finally(() => {
        hold(delivery, -1, active);
        hold(delivery, -1);
        running.delete(done);
        startWhatCan();
      });
    running.add(done);
  }

  function startWhatCan(): void {
    for (let i = 0; i < waiting.length && running.size < limits.total; ) {
      if (canStart(waiting[i]!)) start(waiting.splice(i, 1)[0]!);
      else i++;
    }
  }

  return {
    /** Takes a delivery to run when its slots allow; false when its receiver's backlog is full. */
    offer(delivery: ScheduledDelivery): boolean {
      if (closed || held.get(receiverKey(delivery)) >= limits.receiverBacklog) return false;
      hold(delivery, 1);
      waiting.push(delivery);
      startWhatCan();
      return true;
    },

    /** Deliveries of `team` taken and not yet finished (waiting or running). */
    heldFor: (team: string) => held.get(team),

    /** Drops the deliveries that have not started and waits for the ones running. */
    async close(): Promise<void> {
      closed = true;
      for (const delivery of waiting.splice(0)) hold(delivery, -1);
      await Promise.all(running);
    },
  };
}
