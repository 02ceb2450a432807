// Work a request starts but does not wait for (mail to an address that may have no
// account, so that the answer does not tell): run after the answer, and tracked so that
// shutdown waits for it.
import type { Logger } from 'pino';

/** Work that continues after the answer; tracked so that shutdown waits for it. */
export function createBackground(log: Logger) {
  const pending = new Set<Promise<void>>();
  return {
    run(what: string, fn: () => Promise<void>): void {
      const p = fn().catch((err: unknown) => { log.error({ err, task: what }, `${what} failed`); }).finally(() => { pending.delete(p); });
      pending.add(p);
    },
    async settle(): Promise<void> {
      while (pending.size) await Promise.all([...pending]);
    },
  };
}
export type Background = ReturnType<typeof createBackground>;
