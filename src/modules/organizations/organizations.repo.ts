// Kysely queries of the organization tables: rows in, rows out, no rules.
import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { InvitationRow, MemberRow, OrganizationRow } from './organizations.table.ts';

export interface NewOrganization {
  id: string;
  name: string;
  slug: string;
  logo_url: string | null;
  metadata: Record<string, unknown>;
  created_by: string | null;
  created_at: Date;
}

export async function insertOrganization(on: Db, o: NewOrganization): Promise<OrganizationRow> {
  return on.insertInto('organizations').values({ ...o, metadata: JSON.stringify(o.metadata), updated_at: o.created_at }).returningAll().executeTakeFirstOrThrow();
}

export async function findOrganization(on: Db, id: string): Promise<OrganizationRow | undefined> {
  return on.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findOrganizationBySlug(on: Db, slug: string): Promise<OrganizationRow | undefined> {
  return on.selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function lockOrganization(on: Db, id: string): Promise<OrganizationRow | undefined> {
  return on.selectFrom('organizations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateOrganization(on: Db, id: string, set: { name?: string; slug?: string; logo_url?: string | null; metadata?: Record<string, unknown> }, now: Date): Promise<OrganizationRow | undefined> {
  const { metadata, ...rest } = set;
  return on.updateTable('organizations').set({ ...rest, ...(metadata !== undefined ? { metadata: JSON.stringify(metadata) } : {}), updated_at: now })
    .where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteOrganization(on: Db, id: string): Promise<boolean> {
  return Boolean(await on.deleteFrom('organizations').where('id', '=', id).returning('id').executeTakeFirst());
}

export async function listOrganizations(on: Db, opts: { search?: string | undefined; limit: number; offset: number }): Promise<{ rows: (OrganizationRow & { member_count: number })[]; total: number }> {
  let q = on.selectFrom('organizations');
  if (opts.search) {
    const like = `%${opts.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb('name', 'ilike', like), eb('slug', 'ilike', like)]));
  }
  const total = Number((await q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = await q.selectAll('organizations')
    .select((eb) => eb.selectFrom('organization_members as m').whereRef('m.organization_id', '=', 'organizations.id').select((e) => e.fn.countAll<string>().as('c')).as('member_count'))
    .orderBy('created_at', 'desc').orderBy('id').limit(opts.limit).offset(opts.offset).execute();
  return { rows: rows.map((r) => ({ ...r, member_count: Number(r.member_count ?? 0) })), total };
}

export type MembershipOfUser = OrganizationRow & { role: string; joined_at: Date };

export async function organizationsOfUser(on: Db, userId: string): Promise<MembershipOfUser[]> {
  return on.selectFrom('organization_members as m').innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .selectAll('o').select(['m.role', 'm.created_at as joined_at'])
    .where('m.user_id', '=', userId).orderBy('o.name').orderBy('o.id').execute();
}

export async function findMember(on: Db, organizationId: string, userId: string): Promise<MemberRow | undefined> {
  return on.selectFrom('organization_members').selectAll().where('organization_id', '=', organizationId).where('user_id', '=', userId).executeTakeFirst();
}

export async function lockMember(on: Db, organizationId: string, userId: string): Promise<MemberRow | undefined> {
  return on.selectFrom('organization_members').selectAll().where('organization_id', '=', organizationId).where('user_id', '=', userId).forUpdate().executeTakeFirst();
}

/** The members of an organization, oldest first. */
export async function listMembers(on: Db, organizationId: string): Promise<MemberRow[]> {
  return on.selectFrom('organization_members').selectAll()
    .where('organization_id', '=', organizationId).orderBy('created_at').orderBy('user_id').execute();
}

export async function insertMember(on: Db, m: { organization_id: string; user_id: string; role: string; created_at: Date }): Promise<boolean> {
  const added = await on.insertInto('organization_members').values({ ...m, updated_at: m.created_at })
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doNothing()).returning('user_id').executeTakeFirst();
  return Boolean(added);
}

export async function setMemberRole(on: Db, organizationId: string, userId: string, role: string, now: Date): Promise<void> {
  await on.updateTable('organization_members').set({ role, updated_at: now }).where('organization_id', '=', organizationId).where('user_id', '=', userId).execute();
}

export async function deleteMember(on: Db, organizationId: string, userId: string): Promise<boolean> {
  return Boolean(await on.deleteFrom('organization_members').where('organization_id', '=', organizationId).where('user_id', '=', userId).returning('user_id').executeTakeFirst());
}

/** Members holding one of `roles`, rows locked (the last-owner rule). */
export async function countWithRoles(on: Db, organizationId: string, roles: string[]): Promise<number> {
  if (!roles.length) return 0;
  const rows = await on.selectFrom('organization_members').select('user_id').where('organization_id', '=', organizationId).where('role', 'in', roles).forUpdate().execute();
  return rows.length;
}

export async function memberIds(on: Db, organizationId: string): Promise<string[]> {
  return (await on.selectFrom('organization_members').select('user_id').where('organization_id', '=', organizationId).execute()).map((r) => r.user_id);
}

/** A user's membership of an organization with the organization's slug (no row: not a member). */
export async function membershipWithSlug(on: Db, organizationId: string, userId: string): Promise<{ organization_id: string; slug: string; role: string } | undefined> {
  return on.selectFrom('organization_members as m').innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select(['m.organization_id', 'o.slug', 'm.role'])
    .where('m.organization_id', '=', organizationId).where('m.user_id', '=', userId).executeTakeFirst();
}

/** Whether some member holds `role` as organization role (RBAC keeps such a role). */
export async function roleHeldByMembers(on: Db, role: string): Promise<boolean> {
  return Boolean(await on.selectFrom('organization_members').select('user_id').where('role', '=', role).limit(1).executeTakeFirst());
}

export async function hasMemberships(on: Db, userId: string): Promise<boolean> {
  return Boolean(await on.selectFrom('organization_members').select('user_id').where('user_id', '=', userId).limit(1).executeTakeFirst());
}

// ---- invitations ----------------------------------------------------------------------

export async function insertInvitation(on: Db, i: Omit<InvitationRow, 'accepted_at' | 'accepted_by' | 'revoked_at'>): Promise<InvitationRow> {
  return on.insertInto('organization_invitations').values(i).returningAll().executeTakeFirstOrThrow();
}

/** Revokes pending invitations of an address to an organization (a new one replaces them). */
export async function revokePendingFor(on: Db, organizationId: string, email: string, now: Date): Promise<number> {
  const rows = await on.updateTable('organization_invitations').set({ revoked_at: now })
    .where('organization_id', '=', organizationId).where(sql`lower(email)`, '=', email.toLowerCase())
    .where('accepted_at', 'is', null).where('revoked_at', 'is', null).returning('id').execute();
  return rows.length;
}

export async function findInvitationByHash(on: Db, hash: Buffer, lock = false): Promise<InvitationRow | undefined> {
  const q = on.selectFrom('organization_invitations').selectAll().where('token_hash', '=', hash);
  return lock ? q.forUpdate().executeTakeFirst() : q.executeTakeFirst();
}

export async function findInvitation(on: Db, organizationId: string, id: string): Promise<InvitationRow | undefined> {
  return on.selectFrom('organization_invitations').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
}

export async function listInvitations(on: Db, organizationId: string, pendingAt?: Date): Promise<InvitationRow[]> {
  let q = on.selectFrom('organization_invitations').selectAll().where('organization_id', '=', organizationId);
  if (pendingAt) q = q.where('accepted_at', 'is', null).where('revoked_at', 'is', null).where('expires_at', '>', pendingAt);
  return q.orderBy('created_at', 'desc').orderBy('id').limit(500).execute();
}

export type InvitationOfUser = InvitationRow & { organization_name: string; organization_slug: string; organization_logo_url: string | null };

export async function pendingInvitationsFor(on: Db, email: string, now: Date): Promise<InvitationOfUser[]> {
  return on.selectFrom('organization_invitations as i').innerJoin('organizations as o', 'o.id', 'i.organization_id')
    .selectAll('i').select(['o.name as organization_name', 'o.slug as organization_slug', 'o.logo_url as organization_logo_url'])
    .where(sql`lower(i.email)`, '=', email.toLowerCase()).where('i.accepted_at', 'is', null).where('i.revoked_at', 'is', null).where('i.expires_at', '>', now)
    .orderBy('i.created_at', 'desc').execute();
}

export async function markAccepted(on: Db, id: string, userId: string, now: Date): Promise<boolean> {
  return Boolean(await on.updateTable('organization_invitations').set({ accepted_at: now, accepted_by: userId })
    .where('id', '=', id).where('accepted_at', 'is', null).where('revoked_at', 'is', null).returning('id').executeTakeFirst());
}

export async function markRevoked(on: Db, organizationId: string, id: string, now: Date): Promise<boolean> {
  return Boolean(await on.updateTable('organization_invitations').set({ revoked_at: now })
    .where('organization_id', '=', organizationId).where('id', '=', id).where('accepted_at', 'is', null).where('revoked_at', 'is', null).returning('id').executeTakeFirst());
}

export async function pruneInvitations(on: Db, before: Date, limit: number): Promise<number> {
  const r = await sql<{ n: string }>`with gone as (
      delete from organization_invitations where id in (
        select id from organization_invitations where expires_at < ${before} or (revoked_at is not null and revoked_at < ${before}) limit ${limit})
      returning 1)
    select count(*)::text as n from gone`.execute(on);
  return Number(r.rows[0]?.n ?? 0);
}
