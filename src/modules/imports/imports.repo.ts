import type { Db } from '../../database.ts';
import type { PasswordHashParamsRow } from './imports.table.ts';

export async function saveHashParams(db: Db, row: { id: string; algorithm: string; params: Record<string, unknown>; secret_encrypted: string | null }): Promise<void> {
  await db.insertInto('password_hash_params').values({ ...row, params: JSON.stringify(row.params) as never })
    .onConflict((oc) => oc.column('id').doNothing()).execute();
}

export async function findHashParams(db: Db, id: string): Promise<PasswordHashParamsRow | undefined> {
  return db.selectFrom('password_hash_params').selectAll().where('id', '=', id).executeTakeFirst();
}
