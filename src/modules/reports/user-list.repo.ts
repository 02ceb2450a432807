// Users listed for the admin API with filters across the tables of several modules
// (users, roles, factors, passkeys). Reads only; every change goes through the owning
// module.
import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { UserRow } from '../users/index.ts';

export type SortKey = 'created_at' | 'email' | 'username';

export interface UserListQuery {
  q?: string | undefined;
  role?: string | undefined;
  active?: boolean | undefined;
  verified?: boolean | undefined;
  mfa?: boolean | undefined;
  sort: SortKey;
  desc: boolean;
  /** Keyset position: the sort value (as text) and id of the last row of the previous page. */
  after?: { v: string; id: string } | undefined;
  limit: number;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listUsers(db: Db, f: UserListQuery): Promise<(UserRow & { sort_value: string; has_mfa: boolean })[]> {
  const hasMfa = sql<boolean>`(exists (select 1 from mfa_factors f where f.user_id = users.id and f.verified_at is not null)
    or exists (select 1 from passkeys p where p.user_id = users.id))`;
  // The sort value as exact text (microseconds for times), so that the cursor is exact.
  // An account without an address sorts as the empty string (a cursor needs a value).
  const byText = f.sort === 'email' ? sql`coalesce(lower(email), '')` : sql`lower(${sql.ref(f.sort)})`;
  const sortValue = f.sort === 'created_at'
    ? sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    : sql<string>`${byText}`;
  let q = db.selectFrom('users').selectAll().select([sortValue.as('sort_value'), hasMfa.as('has_mfa')]);
  if (f.q) {
    const pattern = `%${likeEscape(f.q.toLowerCase())}%`;
    q = q.where((eb) => eb.or([eb(sql`lower(email)`, 'like', pattern), eb(sql`lower(username)`, 'like', pattern)]));
  }
  if (f.role) {
    const role = f.role;
    q = q.where((eb) => eb.or([eb('role', '=', role), eb.exists(eb.selectFrom('user_roles').select('user_id').whereRef('user_roles.user_id', '=', 'users.id').where('user_roles.role', '=', role))]));
  }
  if (f.active !== undefined) q = q.where('is_active', '=', f.active);
  if (f.verified !== undefined) q = q.where('email_verified', '=', f.verified);
  if (f.mfa !== undefined) q = q.where(f.mfa ? hasMfa : sql<boolean>`not ${hasMfa}`);
  const col = f.sort === 'created_at' ? sql`created_at` : byText;
  if (f.after) {
    const v = f.sort === 'created_at' ? sql`${f.after.v}::timestamptz` : sql`${f.after.v}`;
    q = q.where(f.desc ? sql<boolean>`(${col}, id) < (${v}, ${f.after.id}::uuid)` : sql<boolean>`(${col}, id) > (${v}, ${f.after.id}::uuid)`);
  }
  const dir = f.desc ? sql`desc` : sql`asc`;
  return q.orderBy(sql`${col} ${dir}`).orderBy(sql`id ${dir}`).limit(f.limit).execute() as Promise<(UserRow & { sort_value: string; has_mfa: boolean })[]>;
}
