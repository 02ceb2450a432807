// The housekeeping run: once an hour, the chores other modules registered run one after
// another. Each deletes in bounded batches (core/db/prune.ts), so a run holds no long lock
// and ends within a bounded time; when a chore stopped at its cap, the next run follows
// after a short pause instead of an hour, so a backlog (the first run after an upgrade)
// drains in steps. A chore that fails is logged and the others still run.
//
// Every instance has the timer, but one run per interval happens across them: a run
// first takes the `housekeeping` lease for most of the interval, and an instance that
// finds it held by another skips. Concurrent runs would be correct (each statement
// deletes what is still there), only wasted: scans repeated and deletes waiting on each
// other's row locks. If the holder dies, the lease runs out and another instance takes it.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import type { PruneLimits } from '../../core/db/index.ts';
import type { Database } from '../../database.ts';
import * as repo from './housekeeping.repo.ts';

const LEASE_NAME = 'housekeeping';
const INTERVAL_MS = 3_600_000;
/** Statements per chore call and run: at most `MAX_BATCHES * batchSize` rows per table. */
const MAX_BATCHES = 100;

/** What a chore deleted: a count, or counts per table. */
export type ChoreResult = number | Record<string, number> | void;
export type Chore = (limits: PruneLimits) => Promise<ChoreResult>;

export interface HousekeepingDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Pick<Logger, 'info' | 'error'>;
  /** Rows per delete statement (AUTH_PRUNE_BATCH_SIZE). */
  batchSize: number;
  maxBatches?: number;
  /** Time between runs. */
  intervalMs?: number;
  /** Time between runs while a backlog drains. */
  backlogPauseMs?: number;
}

export interface HousekeepingRun {
  /** False when another instance holds the lease. */
  ran: boolean;
  /** Rows deleted, per chore or per table. */
  deleted: Record<string, number>;
  /** A chore stopped at its cap: the next run comes after the short pause. */
  backlog: boolean;
  /** Chores that failed (logged). */
  failed: string[];
}

export function createHousekeeping(deps: HousekeepingDeps) {
  const { db, clock, log } = deps;
  const maxBatches = deps.maxBatches ?? MAX_BATCHES;
  const intervalMs = deps.intervalMs ?? INTERVAL_MS;
  const backlogPauseMs = deps.backlogPauseMs ?? 60_000;
  // Held for most of the interval, so that the instance whose timer fires first takes
  // the next one; renewed by each run of the holder.
  const leaseMs = Math.max(1000, intervalMs - Math.min(10 * 60_000, intervalMs / 6));
  const holder = randomUUID();
  const chores: { name: string; fn: Chore }[] = [];
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  /** Takes or renews the lease; false when another instance holds it. */
  async function lease(): Promise<boolean> {
    const now = new Date(clock.now());
    const until = new Date(clock.now() + leaseMs);
    return (await repo.takeLease(db, LEASE_NAME, holder, until, now)) === holder;
  }

  async function pass(): Promise<HousekeepingRun> {
    const result: HousekeepingRun = { ran: false, deleted: {}, backlog: false, failed: [] };
    if (stopping.signal.aborted || !(await lease())) return result;
    result.ran = true;
    const started = Date.now();
    const limits: PruneLimits = { batchSize: deps.batchSize, maxBatches, signal: stopping.signal };
    // A call that stopped at its cap deleted at least this many; a chore adding up two
    // calls may reach it without a cap, which costs one early run, nothing more.
    const cap = deps.batchSize * maxBatches;
    for (const chore of chores) {
      if (stopping.signal.aborted) break;
      try {
        const r = await chore.fn(limits);
        const counts = typeof r === 'number' ? { [chore.name]: r } : (r ?? {});
        for (const [name, n] of Object.entries(counts)) {
          result.deleted[name] = (result.deleted[name] ?? 0) + n;
          if (n >= cap) result.backlog = true;
        }
      } catch (err) {
        result.failed.push(chore.name);
        log.error({ chore: chore.name, err: (err as Error).message }, 'housekeeping chore failed; the others go on');
      }
    }
    log.info({ deleted: result.deleted, backlog: result.backlog, ms: Date.now() - started }, 'housekeeping run');
    if (result.backlog && !stopping.signal.aborted && !soon) {
      soon = setTimeout(() => { soon = undefined; kick(); }, backlogPauseMs);
      soon.unref();
    }
    return result;
  }

  /** One run now, after the one in progress if any; resolves with what it did. */
  function run(): Promise<HousekeepingRun> {
    const next = queue.then(pass, pass);
    queue = next.catch(() => undefined);
    return next;
  }

  function kick(): void {
    run().catch((err: Error) => log.error({ err: err.message }, 'housekeeping run failed'));
  }

  return {
    run,
    /** Adds a chore; chores run in the order added. */
    add(name: string, fn: Chore): void {
      chores.push({ name, fn });
    },
    /** Runs now and then every interval (idempotent). */
    start(): void {
      if (timer || stopping.signal.aborted) return;
      timer = setInterval(kick, intervalMs);
      timer.unref();
      kick();
    },
    /** Stops the timers, cuts the run in progress short between statements and waits for it. */
    async stop(): Promise<void> {
      stopping.abort();
      if (timer) clearInterval(timer);
      if (soon) clearTimeout(soon);
      timer = soon = undefined;
      await queue;
    },
  };
}

export type Housekeeping = ReturnType<typeof createHousekeeping>;
