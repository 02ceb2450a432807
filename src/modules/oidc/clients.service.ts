// The applications that sign users in with Tessera (OpenID Connect clients), registered by
// an administrator: redirect URIs compared as exact strings, allowed scopes, confidential
// (a secret, of which only the hash is kept and which is shown once) or public (PKCE
// alone), first-party (no consent screen) or not.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import { randomToken, safeEqual, sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import * as repo from './oidc.repo.ts';
import type { OidcClientRow } from './oidc.table.ts';

/** The scopes Tessera understands; a client may be limited to some of them. */
export const SUPPORTED_SCOPES = ['openid', 'profile', 'email'] as const;

/** A client as the admin API and CLI show it (never the secret or its hash). */
export interface PresentedClient {
  clientId: string;
  name: string;
  logoUrl: string | null;
  type: 'confidential' | 'public';
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  allowedScopes: string[];
  firstParty: boolean;
  backchannelLogoutUri: string | null;
  active: boolean;
  secretRotatedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ClientInput {
  clientId?: string | undefined;
  name: string;
  logoUrl?: string | null | undefined;
  type?: 'confidential' | 'public' | undefined;
  redirectUris: string[];
  postLogoutRedirectUris?: string[] | undefined;
  allowedScopes?: string[] | undefined;
  firstParty?: boolean | undefined;
  backchannelLogoutUri?: string | null | undefined;
}

export type ClientChanges = Partial<Omit<ClientInput, 'clientId' | 'type'>> & { active?: boolean | undefined };

export interface ClientsServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditRecorder;
  /** Plain http redirect URIs on any host (outside production). */
  allowHttp: boolean;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
// Compared against when the client is unknown, so that the time taken does not tell.
const NO_SECRET = sha256('no client secret');

export const present = (r: OidcClientRow): PresentedClient => ({
  clientId: r.client_id, name: r.name, logoUrl: r.logo_url, type: r.confidential ? 'confidential' : 'public',
  redirectUris: r.redirect_uris, postLogoutRedirectUris: r.post_logout_redirect_uris, allowedScopes: r.allowed_scopes,
  firstParty: r.first_party, backchannelLogoutUri: r.backchannel_logout_uri, active: r.active,
  secretRotatedAt: r.secret_rotated_at?.toISOString() ?? null, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
});

export function createClientsService(deps: ClientsServiceDeps) {
  const { db, clock, audit } = deps;

  /**
   * A redirect URI (RFC 9700 2.1, OAuth 2.1 2.3.1): absolute, no fragment, https, or
   * http on a loopback host, or a private-use scheme (`com.example.app:/cb`) for native apps.
   */
  function checkUri(uri: string, { web = false } = {}): string {
    let u: URL;
    try { u = new URL(uri); } catch { throw new AppError('oidc_redirect_uri_invalid', { details: [{ field: 'uri', message: uri.slice(0, 200) }] }); }
    const bad = () => new AppError('oidc_redirect_uri_invalid', { details: [{ field: 'uri', message: uri.slice(0, 200) }] });
    if (u.hash || uri.includes('#')) throw bad();
    if (u.protocol === 'https:') return uri;
    if (u.protocol === 'http:') {
      if (LOOPBACK.has(u.hostname) || deps.allowHttp) return uri;
      throw bad();
    }
    // Private-use schemes hold a dot (reverse domain name); never javascript:, data: and the like.
    if (!web && /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/i.test(u.protocol)) return uri;
    throw bad();
  }

  const checkScopes = (scopes: string[]) => {
    const unknown = scopes.filter((s) => !(SUPPORTED_SCOPES as readonly string[]).includes(s));
    if (unknown.length) throw new AppError('validation_failed', { details: [{ field: 'allowedScopes', message: `unknown scopes: ${unknown.join(' ')}` }] });
    if (!scopes.includes('openid')) throw new AppError('validation_failed', { details: [{ field: 'allowedScopes', message: 'must include openid' }] });
    return [...new Set(scopes)];
  };

  async function require(clientId: string): Promise<OidcClientRow> {
    const row = await repo.findClient(db, clientId);
    if (!row) throw new AppError('oidc_client_not_found');
    return row;
  }

  const newSecret = () => `tcs_${randomToken(32)}`;

  async function create(input: ClientInput): Promise<{ client: PresentedClient; clientSecret: string | null }> {
    const confidential = (input.type ?? 'confidential') === 'confidential';
    const secret = confidential ? newSecret() : null;
    const now = new Date(clock.now());
    const clientId = input.clientId ?? randomToken(16);
    if (await repo.findClient(db, clientId)) throw new AppError('oidc_client_exists');
    const row = await db.transaction().execute(async (trx) => {
      const row = await repo.insertClient(trx, {
        id: randomUUID(), client_id: clientId, name: input.name, logo_url: input.logoUrl ?? null, confidential,
        secret_hash: secret ? sha256(secret) : null, secret_rotated_at: secret ? now : null,
        redirect_uris: [...new Set(input.redirectUris.map((u) => checkUri(u)))],
        post_logout_redirect_uris: [...new Set((input.postLogoutRedirectUris ?? []).map((u) => checkUri(u)))],
        allowed_scopes: checkScopes(input.allowedScopes ?? [...SUPPORTED_SCOPES]), first_party: input.firstParty ?? false,
        backchannel_logout_uri: input.backchannelLogoutUri ? checkUri(input.backchannelLogoutUri, { web: true }) : null,
        active: true, created_at: now, updated_at: now,
      });
      await audit(trx, { type: 'oidc.client_created', details: { clientId, name: input.name, type: confidential ? 'confidential' : 'public', firstParty: row.first_party } });
      return row;
    });
    return { client: present(row), clientSecret: secret };
  }

  async function update(clientId: string, changes: ClientChanges): Promise<PresentedClient> {
    await require(clientId);
    const set: Parameters<typeof repo.updateClient>[2] = { updated_at: new Date(clock.now()) };
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.logoUrl !== undefined) set.logo_url = changes.logoUrl;
    if (changes.redirectUris !== undefined) set.redirect_uris = [...new Set(changes.redirectUris.map((u) => checkUri(u)))];
    if (changes.postLogoutRedirectUris !== undefined) set.post_logout_redirect_uris = [...new Set(changes.postLogoutRedirectUris.map((u) => checkUri(u)))];
    if (changes.allowedScopes !== undefined) set.allowed_scopes = checkScopes(changes.allowedScopes);
    if (changes.firstParty !== undefined) set.first_party = changes.firstParty;
    if (changes.backchannelLogoutUri !== undefined) set.backchannel_logout_uri = changes.backchannelLogoutUri ? checkUri(changes.backchannelLogoutUri, { web: true }) : null;
    if (changes.active !== undefined) set.active = changes.active;
    const row = await db.transaction().execute(async (trx) => {
      const row = await repo.updateClient(trx, clientId, set);
      if (!row) throw new AppError('oidc_client_not_found');
      await audit(trx, { type: 'oidc.client_updated', details: { clientId, changed: Object.keys(changes).filter((k) => (changes as Record<string, unknown>)[k] !== undefined) } });
      return row;
    });
    return present(row);
  }

  /** A new secret for a confidential client; the old one stops working at once. */
  async function rotateSecret(clientId: string): Promise<{ client: PresentedClient; clientSecret: string }> {
    const current = await require(clientId);
    if (!current.confidential) throw new AppError('validation_failed', { details: [{ field: 'clientId', message: 'a public client has no secret' }] });
    const secret = newSecret();
    const now = new Date(clock.now());
    const row = await db.transaction().execute(async (trx) => {
      const row = await repo.updateClient(trx, clientId, { secret_hash: sha256(secret), secret_rotated_at: now, updated_at: now });
      await audit(trx, { type: 'oidc.client_secret_rotated', details: { clientId } });
      return row!;
    });
    return { client: present(row), clientSecret: secret };
  }

  async function remove(clientId: string, endGrants: (trx: Db, clientId: string) => Promise<void>): Promise<void> {
    await require(clientId);
    await db.transaction().execute(async (trx) => {
      await endGrants(trx, clientId);
      await repo.deleteClient(trx, clientId);
      await audit(trx, { type: 'oidc.client_deleted', details: { clientId } });
    });
  }

  /**
   * Client authentication at the token and revocation endpoints: a confidential client
   * proves its secret; a public client only names itself (PKCE binds its codes).
   * invalid_client for any failure, with the same timing whether the client exists or not.
   */
  async function authenticate(clientId: string, secret: string | undefined): Promise<OidcClientRow> {
    const row = await repo.findClient(db, clientId.slice(0, 200));
    const secretOk = safeEqual(sha256(secret ?? ''), row?.secret_hash ?? NO_SECRET);
    const fail = () => new AppError('invalid_client', { headers: { 'www-authenticate': 'Basic realm="tessera"' } });
    if (!row || !row.active) throw fail();
    if (row.confidential ? !secretOk || secret === undefined : secret !== undefined) throw fail();
    return row;
  }

  return {
    list: async () => (await repo.listClients(db)).map(present),
    get: async (clientId: string) => present(await require(clientId)),
    /** The row of an active client, or undefined. */
    findActive: async (clientId: string) => {
      const row = await repo.findClient(db, clientId);
      return row?.active ? row : undefined;
    },
    create, update, rotateSecret, remove, authenticate,
  };
}

export type ClientsService = ReturnType<typeof createClientsService>;
