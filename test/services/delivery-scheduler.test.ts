import { describe, expect, it } from 'vitest';
import { createDeliveryScheduler } from '../../src/services/delivery-scheduler.js';

const LIMITS = { total: 6, perTeam: 4, perReceiver: 2, receiverBacklog: 3 };

/** Deliveries that run until released, recording which team and receiver each belongs to. */
function deliveries() {
  const started: string[] = [];
  const releases: (() => void)[] = [];
  return {
    started,
    releaseAll: () => {
      for (const release of releases.splice(0)) release();
    },
    make: (team: string, receiver: string) => ({
      team,
      receiver,
      run: () =>
        new Promise<void>((resolve) => {
          started.push(`${team} ${receiver}`);
          releases.push(resolve);
        }),
    }),
  };
}

describe('the delivery scheduler', () => {
  it('gives one receiver at most its slots and backlog, and its team at most the team’s slots', async () => {
    const scheduler = createDeliveryScheduler(LIMITS);
    const work = deliveries();
    const offered = Array.from({ length: 5 }, () => scheduler.offer(work.make('a', 'slow')));
    expect(offered).toEqual([true, true, true, false, false]);
    expect(work.started).toEqual(['a slow', 'a slow']);

    for (const receiver of ['r1', 'r2', 'r3']) scheduler.offer(work.make('a', receiver));
    expect(work.started.filter((name) => name.startsWith('a '))).toHaveLength(LIMITS.perTeam);
    expect(scheduler.heldFor('a')).toBe(6);

    work.releaseAll();
    await scheduler.close();
  });

  it('starts another team’s delivery at once while one team has every slot it may take', async () => {
    const scheduler = createDeliveryScheduler(LIMITS);
    const work = deliveries();
    for (const receiver of ['r1', 'r2', 'r3', 'r4'])
      for (let i = 0; i < 3; i++) scheduler.offer(work.make('a', receiver));
    scheduler.offer(work.make('b', 'hooks'));
    expect(work.started).toContain('b hooks');
    work.releaseAll();
    await scheduler.close();
  });

  it('starts waiting deliveries as slots free, and drops the waiting ones on close', async () => {
    const scheduler = createDeliveryScheduler(LIMITS);
    const work = deliveries();
    for (let i = 0; i < 3; i++) scheduler.offer(work.make('a', 'r1'));
    expect(work.started).toHaveLength(2);
    work.releaseAll();
    await expect.poll(() => work.started.length).toBe(3);
    scheduler.offer(work.make('a', 'r1'));
    scheduler.offer(work.make('a', 'r1'));
    const closed = scheduler.close();
    work.releaseAll();
    await closed;
    expect(work.started).toHaveLength(4);
    expect(scheduler.heldFor('a')).toBe(0);
    expect(scheduler.offer(work.make('a', 'r1'))).toBe(false);
  });
});
