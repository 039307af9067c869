// A pass of background work (settling what nobody polls, delivering queued webhooks) run every
// interval and on demand, never two at once in this process; a failed pass is logged and the
// next one tries again. A pass asked for while one runs follows it (the running one may have
// looked before the new work was queued); an interval tick that finds one running is skipped.
// `stop` waits for the pass under way.
import type { Logger } from './logger.js';

export function createBackgroundPass(pass: () => Promise<unknown>, logger: Logger, failure: string) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let askedAgain = false;
  let stopped = false;

  function run(): void {
    running = pass()
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error }, failure),
      )
      .finally(() => {
        running = undefined;
        if (askedAgain && !stopped) {
          askedAgain = false;
          run();
        }
      });
  }

  return {
    /** Runs a pass now, or right after the one under way. */
    kick(): void {
      if (running) askedAgain = true;
      else run();
    },
    start(intervalMs: number): void {
      timer ??= setInterval(() => {
        if (!running) run();
      }, intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
