// The loop shared by the background workers (mail, event dispatch, webhook delivery): a
// pass runs when kicked and on a timer, never two at once in a process; a kick during a
// pass runs one more pass right after it, and stop waits for the pass in progress.
export interface Worker {
  /** Runs a pass now, or once more right after the current one. */
  kick(): Promise<void>;
  /** Also runs a pass every `intervalMs` (idempotent). */
  start(intervalMs: number): void;
  /** Stops the timer and waits for the pass in progress; later kicks do nothing. */
  stop(): Promise<void>;
  /** Whether stop was called (a long pass checks it between batches). */
  readonly stopped: boolean;
  /** The pass in progress, if any. */
  readonly running: Promise<void> | undefined;
}

export function createWorker(pass: () => Promise<unknown>, onError: (err: Error) => void): Worker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await pass();
        } while (again && !stopped);
      } catch (err) {
        onError(err as Error);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  return {
    kick,
    start(intervalMs) {
      if (timer || stopped) return;
      timer = setInterval(() => { void kick(); }, intervalMs);
      timer.unref();
      void kick();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
    get stopped() { return stopped; },
    get running() { return running; },
  };
}
