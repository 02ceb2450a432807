import { Command } from 'commander';
import type { Kysely } from 'kysely';
import { connectDatabase, createMigrator, migrateToLatest } from '../../core/db/index.ts';
import { databaseError, print, readConfig } from '../context.ts';

async function withDatabase<T>(fn: (db: Kysely<unknown>) => Promise<T>): Promise<T> {
  const config = readConfig();
  let handle;
  try {
    handle = await connectDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (err) {
    throw databaseError(err);
  }
  try {
    return await fn(handle.db as Kysely<unknown>);
  } finally {
    await handle.close();
  }
}

async function up(): Promise<void> {
  await withDatabase(async (db) => {
    const result = await migrateToLatest(db);
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  });
}

export function migrateCommand(): Command {
  const cmd = new Command('migrate')
    .description('Apply pending database migrations (the server also applies them at start).')
    .addHelpText('after', `
Examples:
  $ tessera migrate           # the same as tessera migrate up
  $ tessera migrate status --json`)
    .action(up);
  cmd.command('up').description('Apply every pending migration.').action(up);
  cmd.command('status')
    .description('List the migrations, applied or pending.')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDatabase(async (db) => {
        const all = await createMigrator(db).getMigrations();
        const rows = all.map((m) => ({ name: m.name, status: m.executedAt ? 'applied' : 'pending', appliedAt: m.executedAt?.toISOString() ?? null }));
        print(Boolean(o.json), { migrations: rows, pending: rows.filter((r) => r.status === 'pending').length }, { rows, columns: ['name', 'status', 'appliedAt'] });
      });
    });
  return cmd;
}
