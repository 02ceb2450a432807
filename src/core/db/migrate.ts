// Versioned migrations, applied at start-up and by `npm run migrate`. Kysely's
// PostgreSQL adapter takes a session-level advisory lock (pg_advisory_lock) around the
// run, so instances starting together apply each migration exactly once (behind
// PgBouncer, use session pooling or a direct connection for it: see docs/scaling.md).
import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import * as m0001 from './migrations/0001_init.ts';
import * as m0002 from './migrations/0002_session_devices.ts';
import * as m0003 from './migrations/0003_email.ts';
import * as m0004 from './migrations/0004_password_protection.ts';
import * as m0005 from './migrations/0005_mfa.ts';
import * as m0006 from './migrations/0006_passkeys.ts';
import * as m0007 from './migrations/0007_rbac_audit.ts';
import * as m0008 from './migrations/0008_events.ts';
import * as m0009 from './migrations/0009_webhooks.ts';
import * as m0010 from './migrations/0010_oauth.ts';
import * as m0011 from './migrations/0011_imports.ts';
import * as m0012 from './migrations/0012_pruning.ts';
import * as m0013 from './migrations/0013_keys_permissions.ts';
import * as m0014 from './migrations/0014_fillfactor.ts';
import * as m0015 from './migrations/0015_refresh_families.ts';
import * as m0016 from './migrations/0016_flow_amr.ts';
import * as m0017 from './migrations/0017_optional_email.ts';
import * as m0018 from './migrations/0018_oauth_refresh_runs.ts';
import * as m0019 from './migrations/0019_oidc_provider.ts';
import * as m0020 from './migrations/0020_organizations.ts';

const migrations: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_session_devices': m0002,
  '0003_email': m0003,
  '0004_password_protection': m0004,
  '0005_mfa': m0005,
  '0006_passkeys': m0006,
  '0007_rbac_audit': m0007,
  '0008_events': m0008,
  '0009_webhooks': m0009,
  '0010_oauth': m0010,
  '0011_imports': m0011,
  '0012_pruning': m0012,
  '0013_keys_permissions': m0013,
  '0014_fillfactor': m0014,
  '0015_refresh_families': m0015,
  '0016_flow_amr': m0016,
  '0017_optional_email': m0017,
  '0018_oauth_refresh_runs': m0018,
  '0019_oidc_provider': m0019,
  '0020_organizations': m0020,
};

/** Every migration's name, in order. */
export const MIGRATION_NAMES = Object.keys(migrations);

export function createMigrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<MigrationResultSet> {
  const result = await createMigrator(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`, { cause: result.error });
  }
  return result;
}

/** The names of the applied migrations (read from Kysely's own table); undefined before the first run. */
async function appliedNames(db: Kysely<unknown>): Promise<Set<string> | undefined> {
  const exists = await sql<{ t: string | null }>`select to_regclass('kysely_migration')::text as t`.execute(db);
  if (!exists.rows[0]?.t) return undefined;
  const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  return new Set(rows.rows.map((r) => r.name));
}

/** True when every known migration has been applied. */
export async function migrationsDone(db: Kysely<unknown>): Promise<boolean> {
  const applied = await appliedNames(db);
  return applied !== undefined && MIGRATION_NAMES.every((n) => applied.has(n));
}

/**
 * Start-up: two small reads when the database holds exactly this release's migrations
 * (the usual restart), the migrator otherwise. The migrator then applies what is pending
 * under its lock, or refuses a database that a newer release has migrated.
 */
export async function migrateIfPending(db: Kysely<unknown>): Promise<void> {
  const applied = await appliedNames(db);
  if (applied && applied.size === MIGRATION_NAMES.length && MIGRATION_NAMES.every((n) => applied.has(n))) return;
  await migrateToLatest(db);
}
