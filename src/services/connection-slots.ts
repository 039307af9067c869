// One slot per pooled connection to Apiframe, taken in arrival order: a call holding a slot is
// sent at once, so the wait for a slot is the only queueing, and a caller may stop waiting after
// a while (its work then never starts). A free slot is taken with no timer, signal or extra
// promise, as most calls find one (p-queue, used before, cost each call several of them).

export class SlotWaitOver extends Error {
  override name = 'SlotWaitOver';
}

export interface ConnectionSlots {
  /**
   * Runs `work` in a slot, waiting at most `maxWaitMs` for one (none given: as long as it takes);
   * past that it rejects with SlotWaitOver and `work` never starts.
   */
  run<T>(work: () => Promise<T>, maxWaitMs?: number): Promise<T>;
}

interface Waiter {
  start(): void;
  timer: NodeJS.Timeout | undefined;
}

export function createConnectionSlots(count: number): ConnectionSlots {
  let free = count;
  const waiting: Waiter[] = [];

  function release(): void {
    const next = waiting.shift();
    if (next) next.start();
    else free++;
  }

  async function holding<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      release();
    }
  }

  return {
    run(work, maxWaitMs) {
      if (free > 0) {
        free--;
        return holding(work);
      }
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          start() {
            clearTimeout(waiter.timer);
            holding(work).then(resolve, reject);
          },
          timer: undefined,
        };
        if (maxWaitMs !== undefined) {
          waiter.timer = setTimeout(
            () => {
              waiting.splice(waiting.indexOf(waiter), 1);
              reject(new SlotWaitOver());
            },
            Math.max(maxWaitMs, 0),
          );
        }
        waiting.push(waiter);
      });
    },
  };
}
