// Deleting old rows without one long statement: a prune deletes at most `batchSize` rows
// per statement (each statement its own short transaction, so locks, WAL and the undo of
// a failure stay small), yields to the event loop between statements, and stops after
// `maxBatches` statements; what is left waits for the next run. The statement is
//   delete from t where key in (select key from t where <condition> limit n)
// which PostgreSQL 15 and PGlite (PostgreSQL 18) both run, on the condition's index. A
// table with many rows pointing at each of its rows (children) is pruned a batch at a
// time: the batch's keys are read, its children deleted n at a time, then the batch.
import type { Expression, ExpressionBuilder, Kysely, SqlBool, Transaction } from 'kysely';

export interface PruneLimits {
  /** Rows per delete statement. */
  batchSize: number;
  /** Statements per call; rows beyond `batchSize * maxBatches` wait for the next run. */
  maxBatches: number;
  /** Stops between statements (shutdown). */
  signal?: AbortSignal | undefined;
}

export interface PruneResult {
  /** Rows of the target table deleted. */
  deleted: number;
  /** Rows of its `children` tables deleted. */
  childRows: number;
  /** Delete statements run. */
  batches: number;
  /** False when `maxBatches` or the signal stopped it with rows possibly left. */
  done: boolean;
}

/** What a call without limits uses (tests, one-off calls). */
export const DEFAULT_PRUNE_LIMITS: PruneLimits = Object.freeze({ batchSize: 1000, maxBatches: 100 });

export interface PruneTarget<DB, T extends keyof DB & string> {
  table: T;
  /** A unique key of the table: the statement deletes by it. */
  key: keyof DB[T] & string;
  /** The rows to delete. Keep it on an index: each statement looks for `batchSize` rows afresh. */
  where: (eb: ExpressionBuilder<DB, T>) => Expression<SqlBool>;
  /**
   * Tables whose rows point at the target's (`parentKey` = the target's key) and would
   * cascade in numbers no batch bounds (a session's refresh tokens): for each batch of
   * target rows, their children are deleted first, in batches of their own.
   */
  children?: { table: keyof DB & string; key: string; parentKey: string }[];
}

const yieldToRequests = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Deletes the rows of `target` matching its condition, `batchSize` at a time, until a
 * statement deletes fewer than that or `maxBatches` statements ran. Rows that cascade go
 * in the same statement, so name the children that can be many.
 *
 * @example
 *   await pruneInBatches(db, { table: 'audit_log', key: 'id', where: (eb) => eb('occurred_at', '<', cutoff) }, limits)
 */
export async function pruneInBatches<DB, T extends keyof DB & string>(db: Kysely<DB> | Transaction<DB>, target: PruneTarget<NoInfer<DB>, T>, limits: PruneLimits = DEFAULT_PRUNE_LIMITS): Promise<PruneResult> {
  const { batchSize, maxBatches, signal } = limits;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isSafeInteger(maxBatches) || maxBatches < 1) throw new RangeError(`maxBatches must be a positive integer, got ${maxBatches}`);
  // Kysely cannot type a query over a table chosen by a type parameter; the signature is
  // typed, the body works on the untyped builder.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const k = db as unknown as Kysely<any>;
  const table: string = target.table;
  const key: string = target.key;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const where = target.where as unknown as (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>;
  const children = target.children ?? [];
  const r: PruneResult = { deleted: 0, childRows: 0, batches: 0, done: false };
  /** Runs one delete statement, counted against `maxBatches`; returns the rows it deleted. */
  const counted = async (statement: () => Promise<{ numDeletedRows: bigint }>): Promise<number> => {
    const n = Number((await statement()).numDeletedRows);
    r.batches++;
    return n;
  };

  for (;;) {
    if (signal?.aborted) return r;
    if (!children.length) {
      // One statement picks and deletes the batch.
      const candidates = k.selectFrom(table).select(key).where(where).limit(batchSize);
      const n = await counted(() => k.deleteFrom(table).where(key, 'in', candidates).executeTakeFirstOrThrow());
      r.deleted += n;
      if (n < batchSize) return { ...r, done: true };
    } else {
      // Pick the batch, empty its children batch by batch, then delete it.
      const ids = (await k.selectFrom(table).select(key).where(where).limit(batchSize).execute()).map((row) => row[key] as unknown);
      if (!ids.length) return { ...r, done: true };
      for (const child of children) {
        const childTable: string = child.table;
        const childKey: string = child.key;
        const parentKey: string = child.parentKey;
        for (;;) {
          const mine = k.selectFrom(childTable).select(childKey).where((eb) => eb(parentKey, '=', eb.fn('any', [eb.val(ids)]))).limit(batchSize);
          const n = await counted(() => k.deleteFrom(childTable).where(childKey, 'in', mine).executeTakeFirstOrThrow());
          r.childRows += n;
          if (n < batchSize) break;
          if (r.batches >= maxBatches || signal?.aborted) return r;
          await yieldToRequests();
        }
      }
      r.deleted += await counted(() => k.deleteFrom(table).where((eb) => eb.and([eb(key, '=', eb.fn('any', [eb.val(ids)])), where(eb)])).executeTakeFirstOrThrow());
      if (ids.length < batchSize) return { ...r, done: true };
    }
    if (r.batches >= maxBatches) return r;
    await yieldToRequests();
  }
}
