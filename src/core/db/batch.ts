// Two batches, each one statement. `writeBatch`: writes that need nothing from each
// other (below). `readBatch` (at the end): reads that need nothing from each other.
//
// Writes that need nothing from each other, sent as one statement: each is a
// data-modifying CTE of `with w0 as (...), w1 as (...) select ...`. PostgreSQL runs
// every one of them whether the final select reads it or not, all in the statement's own
// implicit transaction, so together they commit or fail as one, and a use case that
// would have cost begin, N round trips and commit costs a single round trip.
//
// What a batch cannot do: one write reading another's row (they all see the snapshot
// taken before the statement), or a decision between two writes. Use a transaction then.
import { sql, type Kysely, type OperationNodeSource, type RawBuilder } from 'kysely';

/** After a run: how many rows a counted write returned. */
export interface Counted { readonly rows: number }

export interface WriteBatch {
  /** Adds a write whose result nothing needs (an insert or update without `returning`). */
  write(query: OperationNodeSource): void;
  /** Adds a write that returns one row per row it wrote; its count is known after the run. */
  counted(query: OperationNodeSource): Counted;
  /** Adds `pg_notify(channel, payload)`, sent when the statement commits. */
  notify(channel: string, payload: string): void;
  /** Work to do once the batch has committed (cache invalidations, kicks of workers); awaited by run. */
  then(fn: () => void | Promise<void>): void;
}

export interface RunnableBatch extends WriteBatch {
  /** Runs every write as one statement, then the `then` callbacks in the order given. */
  run(db: Kysely<any>): Promise<void>;
  /** How many writes it holds. */
  readonly size: number;
}

export function writeBatch(): RunnableBatch {
  const parts: { query: OperationNodeSource; count?: { rows: number } }[] = [];
  const notices: { channel: string; payload: string }[] = [];
  const after: (() => void | Promise<void>)[] = [];
  return {
    write(query) { parts.push({ query }); },
    counted(query) {
      const count = { rows: 0 };
      parts.push({ query, count });
      return count;
    },
    notify(channel, payload) { notices.push({ channel, payload }); },
    then(fn) { after.push(fn); },
    get size() { return parts.length + notices.length; },
    async run(db) {
      if (parts.length || notices.length) {
        const name = (i: number) => sql.raw(`w${i}`);
        const counted = parts.flatMap((p, i) => (p.count ? [i] : []));
        const columns: RawBuilder<unknown>[] = [
          ...counted.map((i) => sql`(select count(*) from ${name(i)})::int as ${name(i)}`),
          ...notices.map((n) => sql`pg_notify(${n.channel}, ${n.payload})`),
        ];
        const select = sql`select ${columns.length ? sql.join(columns) : sql`1`}`;
        const query = parts.length ? sql`with ${sql.join(parts.map((p, i) => sql`${name(i)} as (${p.query})`))} ${select}` : select;
        const { rows } = await query.execute(db);
        const row = (rows[0] ?? {}) as Record<string, number>;
        for (const i of counted) parts[i]!.count!.rows = Number(row[`w${i}`] ?? 0);
      }
      for (const fn of after) await fn();
    },
  };
}

/** A value a read batch returns, known once the batch has run. */
export interface Read<T> { readonly value: T }

/**
 * Reads that need nothing from each other, sent as one statement: each is a scalar
 * subquery of `select (...) as r0, (...) as r1`, so N round trips cost one. A part returns
 * one value (a count, a boolean, an array built with array_agg); reading it before the
 * run throws.
 */
export interface ReadBatch {
  /** Adds a query of one row and one column; its value is known after the run. */
  value<T>(query: OperationNodeSource): Read<T>;
}

export interface RunnableReadBatch extends ReadBatch {
  /** Runs every read as one statement (none when the batch is empty). */
  run(db: Kysely<any>): Promise<void>;
  readonly size: number;
}

export function readBatch(): RunnableReadBatch {
  const parts: { query: OperationNodeSource; set: (v: unknown) => void }[] = [];
  return {
    value<T>(query: OperationNodeSource): Read<T> {
      let ran = false;
      let value: T;
      parts.push({ query, set: (v) => { value = v as T; ran = true; } });
      return {
        get value(): T {
          if (!ran) throw new Error('a read batch value was read before the batch ran');
          return value;
        },
      };
    },
    get size() { return parts.length; },
    async run(db) {
      if (!parts.length) return;
      const { rows } = await sql`select ${sql.join(parts.map((p, i) => sql`(${p.query}) as ${sql.raw(`r${i}`)}`))}`.execute(db);
      const row = (rows[0] ?? {}) as Record<string, unknown>;
      parts.forEach((p, i) => p.set(row[`r${i}`]));
    },
  };
}
