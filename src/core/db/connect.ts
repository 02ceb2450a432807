// Opens the database: PGlite in DATA_DIR when DATABASE_URL is unset, PostgreSQL
// otherwise. Both go through a node-postgres Pool and Kysely's PostgresDialect, so the
// same queries run in both modes.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { prepareRepeatedStatements } from './statements.ts';

export type DbKind = 'pglite' | 'postgres';

export interface DatabaseHandle<DB> {
  db: Kysely<DB>;
  kind: DbKind;
  /**
   * Runs one SQL statement on the pool, without Kysely's query building (for the hottest
   * statements). Like Kysely's, it is prepared once per connection when it repeats.
   */
  query: SqlQuery;
  /** Connections of the pool (metrics). */
  poolStats(): { total: number; idle: number; waiting: number; max: number };
  close(): Promise<void>;
}

export type SqlQuery = <R>(text: string, values: unknown[]) => Promise<R[]>;
const queryOn = (pool: pg.Pool): SqlQuery => <R>(text: string, values: unknown[]) => pool.query(text, values).then((r) => r.rows as R[]);

/** The pool's connections prepare the statements they repeat (statements.ts), unless turned off. */
function preparing(pool: pg.Pool, on: boolean | undefined): pg.Pool {
  if (on !== false) pool.on('connect', (client) => prepareRepeatedStatements(client));
  return pool;
}

const statsOf = (pool: pg.Pool, max: number) => () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max });

export interface ConnectOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolMax?: number;
  /** Repeated statements become named prepared statements (default true; DATABASE_PREPARED_STATEMENTS). */
  preparedStatements?: boolean;
  /** PGlite's shared_buffers (AUTH_PGLITE_SHARED_BUFFERS); unset, the directory's last setting (128MB for a new one). */
  pgliteSharedBuffers?: string;
  /**
   * A migrated data directory as PGlite's dump (scripts/pglite-template.ts builds it beside
   * the server bundle): an empty DATA_DIR starts from it instead of running initdb and
   * every migration. Ignored when the file is missing.
   */
  pgliteTemplate?: string;
}

// Dates come back as Date; 64-bit integers (bigserial ids, counts) as JS numbers, which
// stay exact far beyond any row count this service will see.
pg.types.setTypeParser(20, (v: string) => Number(v));

export async function connectDatabase<DB>(opts: ConnectOptions): Promise<DatabaseHandle<DB>> {
  if (opts.databaseUrl) {
    const max = opts.poolMax ?? 10;
    const pool = preparing(new pg.Pool({ connectionString: opts.databaseUrl, max }), opts.preparedStatements);
    // A dropped idle connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', query: queryOn(pool), poolStats: statsOf(pool, max), close: () => db.destroy() };
  }
  return openPglite<DB>(opts);
}

async function openPglite<DB>(opts: ConnectOptions): Promise<DatabaseHandle<DB>> {
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const releaseLock = lockDataDir(dir);
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  let pglite: InstanceType<typeof PGlite>;
  try {
    const pgDir = join(dir, 'pg');
    // A new directory starts from the migrated template when there is one: unpacking it
    // takes a fraction of initdb and the migrations (docs/scaling.md).
    const fresh = !existsSync(join(pgDir, 'PG_VERSION'));
    const template = fresh && opts.pgliteTemplate && existsSync(opts.pgliteTemplate) ? new Blob([readFileSync(opts.pgliteTemplate)]) : undefined;
    pglite = new PGlite(pgDir, {
      // An auth server's working set is small: PostgreSQL's 128MB of shared buffers, which
      // PGlite's memory holds in the process, would be most of the server's memory.
      ...(opts.pgliteSharedBuffers ? { postgresqlconf: [`shared_buffers=${opts.pgliteSharedBuffers}`] } : {}),
      ...(template ? { loadDataDir: template } : {}),
    });
    await pglite.waitReady;
  } catch (err) {
    releaseLock();
    throw err;
  }
  // PGlite is a single session: one pooled connection serialises transactions.
  const pool = preparing(new pg.Pool({ ...createPgConfig(pglite), max: 1 } as pg.PoolConfig), opts.preparedStatements);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'pglite',
    query: queryOn(pool),
    poolStats: statsOf(pool, 1),
    async close() {
      await db.destroy();
      await pglite.close();
      releaseLock();
    },
  };
}

/** One process per embedded data directory: a second one would corrupt it. */
function lockDataDir(dir: string): () => void {
  const file = join(dir, 'tessera.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`DATA_DIR ${dir} is in use by process ${pid}; the embedded database allows one process. Set DATABASE_URL to run several instances.`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock DATA_DIR ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
