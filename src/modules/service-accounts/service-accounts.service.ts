// Service accounts: machine clients with a client id, a secret (shown once, stored as a
// hash, rotatable, optionally expiring) and their own permissions. They obtain short-
// lived access tokens with the client-credentials grant (RFC 6749 section 4.4), and their
// tokens are checked against the account's current state on every admin request.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createKeyedCache } from '../../core/cache/keyed-cache.ts';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import type { Clock } from '../../core/clock.ts';
import { safeEqual, sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { Caller } from '../rbac/index.ts';
import type { ClientClaims, TokensService } from '../tokens/index.ts';
import * as repo from './service-accounts.repo.ts';
import type { ServiceAccountRow } from './service-accounts.table.ts';

export interface ServiceAccountsDeps {
  db: Kysely<Database>;
  clock: Clock;
  bus: InvalidationBus;
  audit: AuditRecorder;
  tokens: Pick<TokensService, 'issueClientToken'>;
  /** Checks that every permission exists, and that the caller holds it. */
  checkGrant: (trx: Db, caller: Caller, permissions: string[]) => Promise<void>;
  /** Lifetime of client-credentials tokens, seconds. */
  tokenExpiry: number;
}

export interface PresentedServiceAccount {
  id: string;
  clientId: string;
  name: string;
  description: string;
  permissions: string[];
  active: boolean;
  secretExpiresAt: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

function present(r: ServiceAccountRow, permissions: string[]): PresentedServiceAccount {
  return {
    id: r.id, clientId: r.client_id, name: r.name, description: r.description, permissions, active: r.is_active,
    secretExpiresAt: r.secret_expires_at?.toISOString() ?? null, createdBy: r.created_by,
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), lastUsedAt: r.last_used_at?.toISOString() ?? null,
  };
}

const newSecret = () => `tsk_${randomBytes(32).toString('base64url')}`;
// The hash of a secret nobody holds: unknown clients cost the same comparison.
const NO_SECRET = sha256('tessera:no-such-client');

export interface ServiceAuth {
  account: ServiceAccountRow;
  permissions: string[];
}

export function createServiceAccountsService(deps: ServiceAccountsDeps) {
  const { db, clock, audit } = deps;
  const cache = createKeyedCache<ServiceAuth>({ bus: deps.bus, clock, kind: 'service_account' });
  const changed = (id: string) => deps.bus.publish({ kind: 'service_account', id });

  function futureDate(field: string, v: string | null | undefined): Date | null {
    if (v === undefined || v === null) return null;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new AppError('validation_failed', { details: [{ field, message: 'must be an ISO-8601 date-time' }] });
    if (d.getTime() <= clock.now()) throw new AppError('validation_failed', { details: [{ field, message: 'must be in the future' }] });
    return d;
  }

  async function get(id: string): Promise<PresentedServiceAccount> {
    const row = await repo.findById(db, id);
    if (!row) throw new AppError('not_found');
    return present(row, (await repo.permissionsOf(db, [id])).get(id) ?? []);
  }

  async function list(): Promise<PresentedServiceAccount[]> {
    const rows = await repo.listAccounts(db);
    const perms = await repo.permissionsOf(db, rows.map((r) => r.id));
    return rows.map((r) => present(r, perms.get(r.id) ?? []));
  }

  async function create(caller: Caller, input: { name: string; description?: string; permissions?: string[]; secretExpiresAt?: string | null }) {
    const permissions = [...new Set(input.permissions ?? [])].sort();
    const expires = futureDate('secretExpiresAt', input.secretExpiresAt);
    const id = randomUUID();
    const clientId = `svc_${randomBytes(9).toString('base64url')}`;
    const secret = newSecret();
    const now = new Date(clock.now());
    await db.transaction().execute(async (trx) => {
      await deps.checkGrant(trx, caller, permissions);
      await repo.insertAccount(trx, {
        id, client_id: clientId, name: input.name, description: input.description ?? '', secret_hash: sha256(secret), secret_expires_at: expires,
        created_by: caller.userId ?? null, created_at: now, updated_at: now, last_used_at: null,
      });
      await repo.setPermissions(trx, id, permissions);
      await audit(trx, { type: 'service_account.created', details: { serviceAccountId: id, clientId, permissions } });
    });
    return { serviceAccount: await get(id), clientSecret: secret };
  }

  async function update(caller: Caller, id: string, input: { name?: string; description?: string; permissions?: string[]; active?: boolean }) {
    await db.transaction().execute(async (trx) => {
      const row = await repo.lockById(trx, id);
      if (!row) throw new AppError('not_found');
      const changes: Record<string, unknown> = {};
      if (input.permissions !== undefined) {
        const permissions = [...new Set(input.permissions)].sort();
        const before = (await repo.permissionsOf(trx, [id])).get(id) ?? [];
        // Only what is added needs the caller to hold it.
        await deps.checkGrant(trx, caller, permissions.filter((p) => !before.includes(p)));
        if (before.join(' ') !== permissions.join(' ')) {
          await repo.setPermissions(trx, id, permissions);
          changes.permissions = { from: before, to: permissions };
        }
      }
      const set: { name?: string; description?: string; is_active?: boolean } = {};
      if (input.name !== undefined && input.name !== row.name) { set.name = input.name; changes.name = input.name; }
      if (input.description !== undefined && input.description !== row.description) { set.description = input.description; changes.description = input.description; }
      if (input.active !== undefined && input.active !== row.is_active) { set.is_active = input.active; changes.active = input.active; }
      if (!Object.keys(changes).length) return;
      await repo.updateAccount(trx, id, { ...set, updated_at: new Date(clock.now()) });
      await audit(trx, { type: 'service_account.updated', details: { serviceAccountId: id, changes } });
    });
    await changed(id);
    return get(id);
  }

  async function rotateSecret(_caller: Caller, id: string, input: { secretExpiresAt?: string | null }) {
    const expires = futureDate('secretExpiresAt', input.secretExpiresAt);
    const secret = newSecret();
    await db.transaction().execute(async (trx) => {
      const found = await repo.updateAccountIfExists(trx, id, { secret_hash: sha256(secret), secret_expires_at: expires, updated_at: new Date(clock.now()) });
      if (!found) throw new AppError('not_found');
      await audit(trx, { type: 'service_account.secret_rotated', details: { serviceAccountId: id, secretExpiresAt: expires?.toISOString() ?? null } });
    });
    await changed(id);
    return { serviceAccount: await get(id), clientSecret: secret };
  }

  async function remove(_caller: Caller, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const r = await repo.deleteAccount(trx, id);
      if (!r) throw new AppError('not_found');
      await audit(trx, { type: 'service_account.deleted', details: { serviceAccountId: id, clientId: r.client_id } });
    });
    await changed(id);
  }

  /**
   * The client-credentials grant: authenticates the client and returns a token with the
   * requested scope (space-separated permissions; all granted ones when absent).
   */
  async function clientCredentials(clientId: string, clientSecret: string, scope: string | undefined) {
    const row = await repo.findByClientId(db, clientId.slice(0, 200));
    // Compared even for unknown clients, so that timing does not tell which ids exist.
    const secretOk = safeEqual(sha256(clientSecret), row?.secret_hash ?? NO_SECRET) && row !== undefined;
    const deny = async (reason: string, subject: ServiceAccountRow | undefined) => {
      await audit(db, { type: 'service_account.token_denied', success: false, reason, actor: subject ? { type: 'service_account', id: subject.id } : { type: 'anonymous' }, details: { clientId: clientId.slice(0, 200) } });
      return new AppError('invalid_client', { headers: { 'www-authenticate': 'Basic realm="tessera"' } });
    };
    if (!row) throw await deny('unknown_client', undefined);
    if (!secretOk) throw await deny('wrong_secret', row);
    if (!row.is_active) throw await deny('disabled', row);
    if (row.secret_expires_at && row.secret_expires_at.getTime() <= clock.now()) throw await deny('secret_expired', row);
    const granted = (await repo.permissionsOf(db, [row.id])).get(row.id) ?? [];
    const requested = scope === undefined ? granted : [...new Set(scope.split(' ').filter(Boolean))];
    const outside = requested.filter((p) => !granted.includes(p));
    if (outside.length) {
      await audit(db, { type: 'service_account.token_denied', success: false, reason: 'invalid_scope', actor: { type: 'service_account', id: row.id }, details: { clientId, scope: requested } });
      throw new AppError('invalid_scope', { message: `not granted: ${outside.join(' ')}` });
    }
    const issued = await deps.tokens.issueClientToken({ id: row.id, clientId: row.client_id }, requested, deps.tokenExpiry);
    await db.transaction().execute(async (trx) => {
      await repo.updateAccount(trx, row.id, { last_used_at: new Date(clock.now()) });
      await audit(trx, { type: 'service_account.token_issued', actor: { type: 'service_account', id: row.id }, details: { clientId, scope: requested } });
    });
    return { access_token: issued.accessToken, token_type: 'Bearer' as const, expires_in: deps.tokenExpiry, scope: requested.join(' ') };
  }

  /**
   * The check of a service account's token on a request: the account must still exist and
   * be active. Its permissions are its current ones, limited to the token's scope.
   */
  async function authenticateToken(claims: ClientClaims): Promise<ServiceAuth> {
    const current = await cache.get(claims.sub, async () => {
      const row = await repo.findById(db, claims.sub);
      return row ? { account: row, permissions: (await repo.permissionsOf(db, [row.id])).get(row.id) ?? [] } : undefined;
    });
    if (!current || !current.account.is_active || current.account.client_id !== claims.client_id) throw new AppError('invalid_token');
    const scope = typeof claims.scope === 'string' ? new Set(claims.scope.split(' ')) : new Set<string>();
    return { account: current.account, permissions: current.permissions.filter((p) => scope.has(p)) };
  }

  return { list, get, create, update, rotateSecret, remove, clientCredentials, authenticateToken };
}

export type ServiceAccountsService = ReturnType<typeof createServiceAccountsService>;
