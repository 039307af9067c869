// A pass of background work (settling what nobody polls, delivering queued webhooks) run every
// interval and on demand, never two at once in this process; a failed pass is logged and the
// next one tries again. `stop` waits for a pass under way.
import type { Logger } from './job-gateway.js';

export function createBackgroundPass(pass: () => Promise<unknown>, logger: Logger, failure: string) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  function kick(): void {
    running ??= pass()
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error }, failure),
      )
      .finally(() => {
        running = undefined;
      });
  }

  return {
    kick,
    start(intervalMs: number): void {
      timer ??= setInterval(kick, intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
