// Invitations by email. The token (256 random bits) is only in the message; the table
// holds its SHA-256. An invitation is single-use, expires, can be revoked, and is replaced
// by a newer one to the same address. Accepting needs the token and either the signed-in
// account of the invited address, or (no account with that address yet) a new account,
// whose address the token proves. The message is queued in the change's transaction
// through the durable outbox.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { Mailer } from '../mail/index.ts';
import { normalizeEmail, type PublicUser, type UserRow, type UsersService } from '../users/index.ts';
import * as repo from './organizations.repo.ts';
import { ORG_MEMBER, shortRole, type Acting, type OrganizationsService } from './organizations.service.ts';
import type { InvitationRow } from './organizations.table.ts';

export interface InvitationsDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditRecorder;
  organizations: OrganizationsService;
  users: Pick<UsersService, 'findById' | 'findByEmail' | 'register' | 'markEmailVerified'>;
  mailer: Pick<Mailer, 'send' | 'flush' | 'duration'>;
  /** The before-signup hook, asked before an invitation creates an account. */
  beforeSignup?: ((input: { method: 'password'; email: string | null; username: string; locale: string }) => Promise<void>) | undefined;
  userChanged: (id: string) => Promise<void>;
  settings: { expiresIn: number; acceptUrl: string; appLocale?: string };
}

const hashOf = (token: string) => createHash('sha256').update(token).digest();
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function presentInvitation(i: InvitationRow, now: number) {
  const status = i.accepted_at ? 'accepted' : i.revoked_at ? 'revoked' : i.expires_at.getTime() <= now ? 'expired' : 'pending';
  return {
    id: i.id, organizationId: i.organization_id, email: i.email, role: shortRole(i.role), status, invitedBy: i.invited_by,
    createdAt: i.created_at.toISOString(), expiresAt: i.expires_at.toISOString(), acceptedAt: i.accepted_at?.toISOString() ?? null,
  };
}

export function createInvitations(deps: InvitationsDeps) {
  const { db, clock, audit, organizations } = deps;
  const now = () => new Date(clock.now());
  const actorOf = (acting: Acting) => (acting.kind === 'admin' ? acting.caller.actor : { type: 'user' as const, id: acting.userId });

  async function create(acting: Acting, organizationId: string, input: { email: string; role?: string | undefined }) {
    const email = normalizeEmail(input.email);
    const { row } = await db.transaction().execute(async (trx) => {
      const held = await organizations.requirePermission(acting, organizationId, 'organization.invitations:manage', trx);
      const org = await repo.lockOrganization(trx, organizationId);
      if (!org) throw new AppError('organization_not_found');
      const role = await organizations.requireOrgRole(trx, input.role ?? ORG_MEMBER);
      organizations.assertHoldsIn(held, role.permissions);
      const existing = await deps.users.findByEmail(email, trx);
      if (existing && (await repo.findMember(trx, organizationId, existing.id))) throw new AppError('organization_member_exists');
      const at = now();
      await repo.revokePendingFor(trx, organizationId, email, at);
      const token = randomBytes(32).toString('base64url');
      const inviterId = acting.kind === 'member' ? acting.userId : acting.caller.userId ?? null;
      const inviter = inviterId ? await deps.users.findById(inviterId, trx) : undefined;
      const row = await repo.insertInvitation(trx, {
        id: randomUUID(), organization_id: organizationId, email, role: role.name, token_hash: hashOf(token), invited_by: inviterId,
        created_at: at, expires_at: new Date(at.getTime() + deps.settings.expiresIn * 1000),
      });
      const locale = existing?.locale ?? inviter?.locale ?? 'en';
      const link = `${deps.settings.acceptUrl}${deps.settings.acceptUrl.includes('?') ? '&' : '?'}token=${token}`;
      await deps.mailer.send(trx, 'organization_invitation', email, locale, {
        organization: org.name, inviter: inviter?.username ?? null, role: shortRole(role.name), link, token, expiresIn: deps.mailer.duration(locale, deps.settings.expiresIn),
      });
      await audit(trx, { type: 'organization.invitation_created', subject: existing?.id ?? null, actor: actorOf(acting), details: { organizationId, invitationId: row.id, email, role: shortRole(role.name) } });
      return { row };
    });
    deps.mailer.flush();
    return presentInvitation(row, clock.now());
  }

  async function list(acting: Acting, organizationId: string, pendingOnly = false) {
    await organizations.requirePermission(acting, organizationId, 'organization.invitations:manage');
    const at = now();
    return (await repo.listInvitations(db, organizationId, pendingOnly ? at : undefined)).map((i) => presentInvitation(i, at.getTime()));
  }

  async function revoke(acting: Acting, organizationId: string, invitationId: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await organizations.requirePermission(acting, organizationId, 'organization.invitations:manage', trx);
      const inv = UUID.test(invitationId) ? await repo.findInvitation(trx, organizationId, invitationId) : undefined;
      if (!inv || !(await repo.markRevoked(trx, organizationId, invitationId, now()))) throw new AppError('invitation_not_found');
      await audit(trx, { type: 'organization.invitation_revoked', actor: actorOf(acting), details: { organizationId, invitationId, email: inv.email } });
    });
  }

  /** The pending invitation of a token, locked in `trx` when given. */
  async function pending(token: string, trx?: Db): Promise<InvitationRow> {
    if (!TOKEN.test(token)) throw new AppError('invitation_invalid');
    const inv = await repo.findInvitationByHash(trx ?? db, hashOf(token), Boolean(trx));
    if (!inv || inv.accepted_at || inv.revoked_at) throw new AppError('invitation_invalid');
    if (inv.expires_at.getTime() <= clock.now()) throw new AppError('invitation_expired');
    return inv;
  }

  /** What the holder of a token is invited to (the hosted page shows it before accepting). */
  async function lookup(token: string) {
    const inv = await pending(token);
    const org = (await repo.findOrganization(db, inv.organization_id))!;
    return { organization: { id: org.id, name: org.name, slug: org.slug, logoUrl: org.logo_url }, email: inv.email, role: shortRole(inv.role), expiresAt: inv.expires_at.toISOString() };
  }

  /** Joins inside `trx` and spends the invitation; records the acceptance. */
  async function joinWith(trx: Db, inv: InvitationRow, user: UserRow): Promise<void> {
    await organizations.joinIn(trx, inv.organization_id, user.id, inv.role);
    if (!(await repo.markAccepted(trx, inv.id, user.id, now()))) throw new AppError('invitation_invalid');
    await audit(trx, { type: 'organization.invitation_accepted', subject: user.id, actor: { type: 'user', id: user.id }, details: { organizationId: inv.organization_id, invitationId: inv.id, userId: user.id, role: shortRole(inv.role) } });
  }

  /** The signed-in user accepts: the invitation must be addressed to their email. */
  async function accept(userId: string, token: string) {
    const organizationId = await db.transaction().execute(async (trx) => {
      const inv = await pending(token, trx);
      const user = await deps.users.findById(userId, trx);
      if (!user) throw new AppError('unauthorized');
      if (user.email === null || normalizeEmail(user.email) !== normalizeEmail(inv.email)) throw new AppError('invitation_email_mismatch');
      if (await repo.findMember(trx, inv.organization_id, user.id)) {
        // Already a member (added meanwhile): the invitation is spent, the role unchanged.
        await repo.markAccepted(trx, inv.id, user.id, now());
        return inv.organization_id;
      }
      // Opening the invitation proves the address.
      if (!user.email_verified) await deps.users.markEmailVerified(trx, user.id);
      await joinWith(trx, inv, user);
      return inv.organization_id;
    });
    await deps.userChanged(userId);
    return { organization: await organizations.get({ kind: 'member', userId }, organizationId), membership: await organizations.memberView(organizationId, userId) };
  }

  /** No account has the invited address yet: one is created, verified by the token, and joins. */
  async function acceptWithSignUp(token: string, input: { username: string; password: string; locale: string }): Promise<{ user: PublicUser; organization: ReturnType<typeof presentOrg> }> {
    const inv = await pending(token);
    if (await deps.users.findByEmail(inv.email)) throw new AppError('invitation_sign_in_required');
    await deps.beforeSignup?.({ method: 'password', email: inv.email, username: input.username, locale: input.locale });
    const result = await deps.users.register({ username: input.username, email: inv.email, password: input.password, locale: input.locale }, async (trx, user) => {
      const locked = await pending(token, trx);
      await deps.users.markEmailVerified(trx, user.id);
      await audit(trx, { type: 'user.registered', subject: user.id, details: { method: 'invitation', role: user.role, organizationId: locked.organization_id }, user: { ...user, email_verified: true } });
      await joinWith(trx, locked, user);
      return locked.organization_id;
    });
    const org = (await repo.findOrganization(db, result.extra!))!;
    return { user: result.user, organization: presentOrg(org) };
  }

  /** Pending invitations addressed to the user's email (the account page shows them). */
  async function mine(user: UserRow) {
    if (user.email === null) return [];
    const at = now();
    return (await repo.pendingInvitationsFor(db, user.email, at)).map((i) => ({
      ...presentInvitation(i, at.getTime()), organization: { id: i.organization_id, name: i.organization_name, slug: i.organization_slug, logoUrl: i.organization_logo_url },
    }));
  }

  return { create, list, revoke, lookup, accept, acceptWithSignUp, mine, prune: (limit: number) => repo.pruneInvitations(db, new Date(clock.now() - 30 * 86_400_000), limit) };
}

const presentOrg = (o: { id: string; name: string; slug: string; logo_url: string | null }) => ({ id: o.id, name: o.name, slug: o.slug, logoUrl: o.logo_url });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Invitations = ReturnType<typeof createInvitations>;
