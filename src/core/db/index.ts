// Database access: connection (PGlite or PostgreSQL), migrations, and the helpers
// repos share. Repos take `db` or a transaction first; services open transactions.
export { connectDatabase, type DatabaseHandle, type DbKind, type ConnectOptions, type SqlQuery } from './connect.ts';
export { migrateToLatest, migrateIfPending, migrationsDone, createMigrator, MIGRATION_NAMES } from './migrate.ts';
export { writeBatch, readBatch, type WriteBatch, type RunnableBatch, type Counted, type ReadBatch, type RunnableReadBatch, type Read } from './batch.ts';
export { coalesce, type CoalesceOptions } from './coalesce.ts';
export { pruneInBatches, DEFAULT_PRUNE_LIMITS, type PruneLimits, type PruneResult, type PruneTarget } from './prune.ts';

/** True when a PostgreSQL error is a unique violation on the named index or constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
