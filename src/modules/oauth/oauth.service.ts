// Social sign-in: the redirect to the provider (state, PKCE, nonce), the callback (the
// state taken once and checked against the browser, the code exchanged, the ID token
// validated, the profile read), the account it signs in to (an identity, a link, or a
// new user), native apps' start and code exchange (bound to their PKCE challenge), and the
// identities of a user.
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import type { OAuthProviderSettings } from '../../core/config/index.ts';
import { randomToken, safeEqual, sha256, type Encrypter } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { SignInGate } from '../sign-in/index.ts';
import type { BeforeSignup } from '../hooks/index.ts';
import type { SessionContext } from '../sessions/index.ts';
import { normalizeEmail, toPublicUser, type UserRow, type UsersService } from '../users/index.ts';
import { bindingOfChallenge, bindingOfVerifier, bindsNativeCodes, checkNativeRedirect, CODE_VERIFIER, S256_CHALLENGE } from './native.ts';
import type { Profile } from './providers/index.ts';
import * as repo from './oauth.repo.ts';
import type { IdentityRow } from './oauth.table.ts';
import type { ProviderRegistry, ResolvedProvider } from './registry.ts';
import type { ProviderTokens, Vault } from './vault.ts';

const STATE_TTL_S = 600;

export interface OAuthServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: FastifyBaseLogger;
  encrypter: Encrypter;
  registry: ProviderRegistry;
  vault: Vault;
  users: UsersService;
  /** The sign-in gate: a provider's identity is a first factor. */
  gate: Pick<SignInGate, 'complete'>;
  audit: AuditRecorder;
  redirects: { check(redirectTo: string | undefined): string };
  beforeSignup?: BeforeSignup | undefined;
  /** Passkeys of a user, for the last-method rule of unlinking. */
  passkeyCount: (userId: string) => Promise<number>;
  autoLink: boolean;
}

/** A provider as the admin API and the CLI store it: its settings, and whether it is in service. */
export type ProviderInput = Omit<OAuthProviderSettings, 'name' | 'source'> & { enabled?: boolean | undefined };

export interface Outcome {
  /** `signed_in` (a session), or `linked` (a signed-in user added the provider). */
  kind: 'signed_in' | 'linked';
  signedIn?: { accessToken: string; refreshToken: string; user: unknown };
  redirectTo: string;
  provider: string;
}

/** An identity as its owner sees it (no tokens). */
export function presentIdentity(i: IdentityRow) {
  return {
    provider: i.provider, email: i.email, emailVerified: i.email_verified, name: i.name, avatarUrl: i.avatar_url,
    scopes: i.scopes, hasProviderToken: i.access_token_encrypted !== null, needsReconsent: i.needs_reconsent,
    createdAt: i.created_at.toISOString(), lastSignInAt: i.last_sign_in_at?.toISOString() ?? null,
  };
}

export function createOAuthService(deps: OAuthServiceDeps) {
  const { db, clock, encrypter, registry, vault, users, audit } = deps;

  /**
   * Before an identity is unlinked: its stored provider tokens are revoked at the provider
   * when it offers revocation (best effort); the entry to record, or undefined when the
   * vault held none for it.
   */
  async function forgetTokens(identity: IdentityRow): Promise<Record<string, unknown> | undefined> {
    if (!identity.access_token_encrypted && !identity.refresh_token_encrypted) return undefined;
    const atProvider = await vault.revokeAtProvider(identity);
    return { provider: identity.provider, identityId: identity.id, atProvider };
  }

  /** Maps openid-client failures to codes; never passes the provider's secrets along. */
  function providerFailure(err: unknown, provider: string): AppError {
    if (err instanceof AppError) return err;
    if (err instanceof client.AuthorizationResponseError) {
      return new AppError('oauth_provider_error', { message: `The provider answered: ${err.error}`, details: { error: err.error, description: err.error_description?.slice(0, 300) ?? null } });
    }
    if (err instanceof client.ResponseBodyError) {
      if (err.error === 'invalid_grant') return new AppError('oauth_code_invalid');
      return new AppError('oauth_provider_error', { message: `The provider refused the exchange: ${err.error}`, details: { error: err.error } });
    }
    const code = (err as { code?: string }).code;
    deps.log.warn({ oauth: 'provider_failure', provider, code, err: (err as Error).message }, 'OAuth provider exchange failed');
    // Checks of the provider's answer (ID token, nonce, issuer) are the provider's fault or an attack.
    if (typeof code === 'string' && code.startsWith('OAUTH_') && code !== 'OAUTH_TIMEOUT' && !/RESPONSE_IS_NOT_CONFORM|HTTP_REQUEST_FORBIDDEN/.test(code)) {
      return new AppError('oauth_provider_error', { message: 'The provider\'s answer did not pass validation', details: { error: code.toLowerCase() } });
    }
    return new AppError('oauth_provider_unavailable', { cause: err });
  }

  /** The profile behind a token response. */
  async function profileOf(p: ResolvedProvider, tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, callback: Record<string, string>): Promise<Profile> {
    const get = async (url: string, headers: Record<string, string> = {}) => {
      const res = await client.fetchProtectedResource(p.config, tokens.access_token, new URL(url), 'GET', undefined, new Headers({ accept: 'application/json', 'user-agent': 'Tessera', ...headers }));
      if (!res.ok) throw new Error(`profile request answered ${res.status}`);
      return res.json();
    };
    try {
      const profile = await p.adapter.profile({ claims: tokens.claims() as Record<string, unknown> | undefined, accessToken: tokens.access_token, get, settings: p.settings, endpoints: p.endpoints, callback });
      if (profile.email) profile.email = normalizeEmail(profile.email);
      return profile;
    } catch (err) {
      deps.log.warn({ oauth: 'profile_failed', provider: p.name, err: (err as Error).message }, 'OAuth provider profile could not be read');
      throw new AppError('oauth_provider_unavailable', { message: 'The provider\'s profile could not be read', cause: err });
    }
  }

  /** Identity columns from a profile and its tokens. */
  function identityColumns(identityId: string, profile: Profile, tokens: ProviderTokens, p: ResolvedProvider) {
    const cols = vault.tokenColumns(identityId, tokens, p.scopes);
    const now = new Date(clock.now());
    return {
      ...cols,
      email: profile.email, email_verified: profile.emailVerified, name: profile.name?.slice(0, 200) ?? null, avatar_url: profile.avatarUrl?.slice(0, 2000) ?? null,
      profile: profile.raw, updated_at: now, last_sign_in_at: now, refresh_locked_until: null,
    };
  }

  /**
   * The user a provider identity signs in to, in order: the identity's user; the
   * signed-in user who links it; an existing user with the address (linked only when both
   * sides vouch for it); a new user.
   */
  async function resolveAccount(p: ResolvedProvider, profile: Profile, tokens: ProviderTokens, linkUserId: string | null): Promise<{ user: UserRow; linked: boolean }> {
    const existing = await repo.findIdentity(db, p.name, profile.id);
    // Refresh tokens are not always sent again: keep the stored one.
    const hasRefresh = Boolean(tokens.refresh_token) || Boolean(existing?.refresh_token_encrypted);
    const withDue = (id: string) => {
      const cols = identityColumns(id, profile, tokens, p);
      return { ...cols, refresh_due_at: vault.dueAt(cols.access_token_expires_at, hasRefresh) };
    };

    if (linkUserId) {
      if (existing && existing.user_id !== linkUserId) throw new AppError('identity_already_linked');
      const user = await users.findById(linkUserId);
      if (!user || !user.is_active) throw new AppError('unauthorized');
      if (existing) {
        await repo.updateIdentity(db, existing.id, withDue(existing.id));
        return { user, linked: true };
      }
      await link(user, p, profile, withDue, 'link');
      return { user, linked: true };
    }

    if (existing) {
      const user = await users.findById(existing.user_id);
      if (!user) throw new AppError('oauth_state_invalid');
      if (!user.is_active) throw new AppError('account_disabled');
      await repo.updateIdentity(db, existing.id, withDue(existing.id));
      return { user, linked: false };
    }

    const byEmail = profile.email ? await users.findByEmail(profile.email) : undefined;
    if (byEmail) {
      // Linking by address is safe only when the provider and this account both proved it.
      if (!(deps.autoLink && profile.emailVerified && byEmail.email_verified)) throw new AppError('account_exists_link_required');
      if (!byEmail.is_active) throw new AppError('account_disabled');
      await link(byEmail, p, profile, withDue, 'email');
      return { user: byEmail, linked: false };
    }

    if (!profile.email) throw new AppError('oauth_email_required');
    await deps.beforeSignup?.({ method: 'oauth', provider: p.name, email: profile.email, username: null, locale: null });
    const user = await db.transaction().execute(async (trx) => {
      const created = await users.createFromEmail(trx, profile.email!, 'en', profile.emailVerified);
      const id = randomUUID();
      const now = new Date(clock.now());
      await repo.insertIdentity(trx, { id, user_id: created.id, provider: p.name, provider_user_id: profile.id, created_at: now, ...withDue(id), updated_at: now });
      await audit(trx, { type: 'user.registered', subject: created.id, details: { method: 'oauth', provider: p.name, role: created.role } });
      return created;
    });
    return { user, linked: false };
  }

  async function link(user: UserRow, p: ResolvedProvider, profile: Profile, columns: (id: string) => ReturnType<typeof identityColumns> & { refresh_due_at: Date | null }, how: 'link' | 'email'): Promise<void> {
    await db.transaction().execute(async (trx) => {
      if (await repo.identityOf(trx, user.id, p.name)) throw new AppError('provider_already_linked');
      const id = randomUUID();
      const now = new Date(clock.now());
      try {
        await repo.insertIdentity(trx, { id, user_id: user.id, provider: p.name, provider_user_id: profile.id, created_at: now, ...columns(id), updated_at: now });
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new AppError('identity_already_linked');
        throw err;
      }
      await audit(trx, { type: 'oauth.identity_linked', subject: user.id, details: { provider: p.name, how, email: profile.email } });
    });
  }

  /** Signs the account in (a second factor first when due), or reports the link. */
  async function finish(user: UserRow, linked: boolean, p: ResolvedProvider, ctx: Omit<SessionContext, 'amr'>, redirectTo: string): Promise<Outcome> {
    if (linked) return { kind: 'linked', redirectTo, provider: p.name };
    const signedIn = await deps.gate.complete({ user, method: 'oauth', amr: ['oauth'] }, ctx);
    return { kind: 'signed_in', signedIn: { ...signedIn, user: toPublicUser(user) }, redirectTo, provider: p.name };
  }

  return {
    registry,
    /** Removes every provider identity of a user in the caller's transaction (an address claimed by its owner). */
    removeAllIdentitiesIn: (trx: Db, userId: string) => repo.deleteIdentitiesOf(trx, userId),
    /**
     * The provider's authorization URL for a browser. The state is stored hashed for 10
     * minutes with the PKCE verifier (sealed), the nonce, where to go afterwards, and the
     * hash of the browser's binding cookie.
     */
    async start(name: string, input: { redirectTo?: string | undefined; linkUserId?: string | undefined; browserBinding: string }): Promise<{ url: string; formPost: boolean }> {
      const p = await registry.get(name);
      const redirectTo = deps.redirects.check(input.redirectTo);
      const state = randomToken(32);
      const verifier = p.adapter.pkce ? client.randomPKCECodeVerifier() : null;
      const nonce = p.adapter.oidc ? client.randomNonce() : null;
      const now = clock.now();
      await repo.pruneStates(db, new Date(now));
      await repo.insertState(db, {
        state_hash: sha256(state), provider: p.name, browser_hash: sha256(input.browserBinding),
        code_verifier_encrypted: verifier ? encrypter.encrypt(verifier, `oauth_state:${state}`) : null,
        nonce, redirect_to: redirectTo, link_user_id: input.linkUserId ?? null, client: 'web',
        created_at: new Date(now), expires_at: new Date(now + STATE_TTL_S * 1000),
      });
      const params: Record<string, string> = { redirect_uri: p.callbackUrl, scope: p.scopes.join(' '), state, ...(p.adapter.authParams ?? {}) };
      if (nonce) params.nonce = nonce;
      if (verifier) Object.assign(params, { code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      if (p.adapter.responseMode) params.response_mode = p.adapter.responseMode;
      return { url: client.buildAuthorizationUrl(p.config, params).href, formPost: p.adapter.responseMode === 'form_post' };
    },

    /**
     * The provider's answer (query, or form for Apple). Returns the outcome, or throws
     * an AppError carrying where the browser should be sent (`fields.redirectTo`).
     */
    async callback(name: string, params: Record<string, string>, browserBinding: string | undefined, ctx: Omit<SessionContext, 'amr'>): Promise<Outcome> {
      const p = await registry.get(name);
      // 1. The state: present, known, unspent, unexpired, and this browser's.
      if (!params.state) throw new AppError('oauth_state_invalid', { message: params.error ? `The provider answered: ${params.error}` : 'The sign-in has no state' });
      const row = await repo.takeState(db, sha256(params.state), p.name);
      if (!row) throw new AppError('oauth_state_invalid', { message: 'The sign-in is unknown or was already completed; start again' });
      const redirectTo = row.redirect_to;
      const fail = (err: unknown) => {
        const e = providerFailure(err, p.name);
        return new AppError(e.code, { message: e.message, details: e.details, fields: { ...(e.fields ?? {}), redirectTo } });
      };
      if (row.expires_at.getTime() < clock.now()) throw fail(new AppError('oauth_state_invalid', { message: 'The sign-in took more than 10 minutes; start again' }));
      if (row.browser_hash && !(browserBinding && safeEqual(sha256(browserBinding), row.browser_hash))) {
        throw fail(new AppError('oauth_state_invalid', { message: 'The sign-in was started in another browser' }));
      }
      // 2. The code, exchanged with the verifier; the ID token checked with the nonce.
      let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
      try {
        const current = new URL(p.callbackUrl);
        for (const [k, v] of Object.entries(params)) if (k !== 'user') current.searchParams.set(k, v);
        tokens = await client.authorizationCodeGrant(p.config, current, {
          expectedState: params.state,
          ...(row.code_verifier_encrypted ? { pkceCodeVerifier: encrypter.decrypt(row.code_verifier_encrypted, `oauth_state:${params.state}`).toString('utf8') } : {}),
          ...(row.nonce ? { expectedNonce: row.nonce } : {}),
          idTokenExpected: p.adapter.oidc,
        });
      } catch (err) {
        throw fail(err);
      }
      // 3. The profile, the account, the session.
      try {
        const profile = await profileOf(p, tokens, params);
        const { user, linked } = await resolveAccount(p, profile, tokens, row.link_user_id);
        return await finish(user, linked, p, { ...ctx, client: row.client }, redirectTo);
      } catch (err) {
        throw fail(err);
      }
    },

    /**
     * Native apps, first step: the provider's authorization URL for the app's own redirect,
     * and a state (single use, 10 minutes) bound to the app's S256 code challenge. The
     * nonce (OIDC) is Tessera's; the challenge goes to the provider too when it does PKCE.
     */
    async nativeStart(name: string, input: { redirectUri: string; codeChallenge: string; codeChallengeMethod?: string | undefined }): Promise<{ url: string; state: string; expiresAt: string }> {
      const p = await registry.get(name);
      // 1. The provider can tie a code to the request that asked for it (native.ts).
      if (!bindsNativeCodes(p.adapter)) throw new AppError('oauth_native_unsupported');
      // 2. The app's own redirect, never Tessera's web callback.
      const redirectUri = checkNativeRedirect(input.redirectUri, p, deps.redirects);
      // 3. An S256 challenge.
      if ((input.codeChallengeMethod ?? 'S256') !== 'S256' || !S256_CHALLENGE.test(input.codeChallenge)) {
        throw new AppError('validation_failed', { message: 'codeChallenge: an S256 challenge (43 characters of base64url), codeChallengeMethod S256' });
      }
      const state = randomToken(32);
      const nonce = p.adapter.oidc ? client.randomNonce() : null;
      const now = clock.now();
      const expiresAt = new Date(now + STATE_TTL_S * 1000);
      await repo.pruneStates(db, new Date(now));
      await repo.insertState(db, {
        state_hash: sha256(state), provider: p.name, browser_hash: bindingOfChallenge(input.codeChallenge), code_verifier_encrypted: null,
        nonce, redirect_to: redirectUri, link_user_id: null, client: 'native', created_at: new Date(now), expires_at: expiresAt,
      });
      const params: Record<string, string> = { redirect_uri: redirectUri, scope: p.scopes.join(' '), state, ...(p.adapter.authParams ?? {}) };
      if (nonce) params.nonce = nonce;
      if (p.adapter.pkce) Object.assign(params, { code_challenge: input.codeChallenge, code_challenge_method: 'S256' });
      if (p.adapter.responseMode) params.response_mode = p.adapter.responseMode;
      return { url: client.buildAuthorizationUrl(p.config, params).href, state, expiresAt: expiresAt.toISOString() };
    },

    /**
     * Native apps, second step: the code their redirect received, with the state of the
     * first step and the verifier of its challenge, exchanged here. A code the provider
     * issued for another request (the browser flow's, another app's) is refused.
     */
    async exchange(name: string, input: { code: string; state: string; codeVerifier: string; redirectUri: string }, ctx: Omit<SessionContext, 'amr'>): Promise<Outcome> {
      const p = await registry.get(name);
      // 1. The provider can tie a code to the request that asked for it.
      if (!bindsNativeCodes(p.adapter)) throw new AppError('oauth_native_unsupported');
      // 2. The app's own redirect, never Tessera's web callback.
      const redirectUri = checkNativeRedirect(input.redirectUri, p, deps.redirects);
      // 3. A verifier of RFC 7636 form.
      if (!CODE_VERIFIER.test(input.codeVerifier)) throw new AppError('validation_failed', { message: 'codeVerifier: 43 to 128 characters of A-Z a-z 0-9 - . _ ~' });
      // 4. The state: a native one of this provider, unexpired, started for this redirect;
      //    taken out (once) only with the verifier of its challenge, so that a wrong guess spends nothing.
      const stateHash = sha256(input.state);
      const row = await repo.findNativeState(db, stateHash, p.name);
      if (!row) throw new AppError('oauth_state_invalid', { message: 'The sign-in is unknown or was already completed; start again' });
      if (row.expires_at.getTime() < clock.now()) throw new AppError('oauth_state_invalid', { message: 'The sign-in took more than 10 minutes; start again' });
      if (row.redirect_to !== redirectUri) throw new AppError('oauth_state_invalid', { message: 'The sign-in was started for another redirectUri' });
      const binding = bindingOfVerifier(input.codeVerifier);
      if (!row.browser_hash || !safeEqual(binding, row.browser_hash)) throw new AppError('oauth_code_invalid', { message: 'The code verifier does not match the code challenge of the sign-in' });
      if (!(await repo.takeNativeState(db, stateHash, p.name, binding))) throw new AppError('oauth_state_invalid', { message: 'The sign-in was already completed; start again' });
      // 5. The code, exchanged (with the verifier when the provider checks it).
      let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
      try {
        tokens = await client.genericGrantRequest(p.config, 'authorization_code', { code: input.code, redirect_uri: redirectUri, ...(p.adapter.pkce ? { code_verifier: input.codeVerifier } : {}) });
      } catch (err) {
        throw providerFailure(err, p.name);
      }
      // 6. The answer belongs to this sign-in: its ID token carries the state's nonce.
      const claims = tokens.claims();
      if (p.adapter.oidc && !claims) throw new AppError('oauth_provider_error', { message: 'The provider returned no ID token' });
      if (row.nonce !== null && !(typeof claims?.nonce === 'string' && safeEqual(claims.nonce, row.nonce))) {
        throw new AppError('oauth_code_invalid', { message: 'The code was issued for another sign-in (its ID token carries another nonce)' });
      }
      const profile = await profileOf(p, tokens, {});
      const { user } = await resolveAccount(p, profile, tokens, null);
      return finish(user, false, p, ctx, '');
    },

    async identities(userId: string) {
      return (await repo.identitiesOf(db, userId)).map(presentIdentity);
    },

    /** Unlinks a provider, unless it is the account's last way to sign in. */
    async unlink(userId: string, provider: string): Promise<void> {
      const user = await users.findById(userId);
      if (!user) throw new AppError('unauthorized');
      const all = await repo.identitiesOf(db, userId);
      if (!all.some((i) => i.provider === provider)) throw new AppError('identity_not_found');
      if (!user.password_hash && all.length === 1 && (await deps.passkeyCount(userId)) === 0) throw new AppError('last_sign_in_method');
      const revoked = await forgetTokens(all.find((i) => i.provider === provider)!);
      await db.transaction().execute(async (trx) => {
        await repo.deleteIdentity(trx, userId, provider);
        await audit(trx, { type: 'oauth.identity_unlinked', subject: userId, details: { provider } });
        if (revoked) await audit(trx, { type: 'oauth.provider_tokens_revoked', subject: userId, details: revoked });
      });
    },

    /** A valid provider access token of the user's identity (refreshed when needed). */
    async providerToken(userId: string, provider: string) {
      const identity = await repo.identityOf(db, userId, provider);
      if (!identity) throw new AppError('identity_not_found');
      const t = await vault.accessToken(db, identity);
      return { provider, accessToken: t.accessToken, tokenType: t.tokenType, expiresAt: t.expiresAt?.toISOString() ?? null, scopes: t.scopes };
    },

    /** Deletes sign-in states past their 10 minutes (hourly housekeeping). */
    prune: () => repo.pruneStates(db, new Date(clock.now())),

    /** How many identities a user has (for the other modules' last-method rules). */
    count: async (userId: string) => (await repo.identitiesOf(db, userId)).length,

    /** Administrators: moves every identity of `fromUserId` to `intoUserId`. */
    async merge(intoUserId: string, fromUserId: string): Promise<{ moved: string[] }> {
      if (intoUserId === fromUserId) throw new AppError('validation_failed', { message: 'Both users are the same' });
      const [into, from] = await Promise.all([users.findById(intoUserId), users.findById(fromUserId)]);
      if (!into || !from) throw new AppError('not_found');
      return db.transaction().execute(async (trx) => {
        const theirs = await repo.identitiesOf(trx, fromUserId);
        const mine = new Set((await repo.identitiesOf(trx, intoUserId)).map((i) => i.provider));
        const clash = theirs.filter((i) => mine.has(i.provider)).map((i) => i.provider);
        if (clash.length) throw new AppError('provider_already_linked', { message: `Both users have an identity of ${clash.join(', ')}` });
        const now = new Date(clock.now());
        for (const i of theirs) await repo.updateIdentity(trx, i.id, { user_id: intoUserId, updated_at: now });
        const moved = theirs.map((i) => i.provider);
        await audit(trx, { type: 'oauth.identities_merged', subject: intoUserId, details: { fromUserId, providers: moved } });
        return { moved };
      });
    },

    /**
     * Stores a provider in the database (the CLI and the admin API); its secrets are
     * sealed. A name the environment configures is refused.
     */
    async saveProvider(name: string, input: ProviderInput): Promise<void> {
      if (registry.isEnvProvider(name)) throw new AppError('oauth_provider_managed_by_env');
      const kind = input.kind;
      if (kind === 'oidc' ? !input.issuer : false) throw new AppError('validation_failed', { message: 'An OIDC provider needs its issuer' });
      if (kind === 'apple' && !(input.teamId && input.keyId && (input.privateKey || (await db.selectFrom('oauth_providers').select('private_key_encrypted').where('name', '=', name).executeTakeFirst())?.private_key_encrypted))) {
        throw new AppError('validation_failed', { message: 'Apple needs teamId, keyId and privateKey' });
      }
      if (input.privateKey !== undefined && !input.privateKey.includes('BEGIN PRIVATE KEY')) throw new AppError('validation_failed', { message: 'privateKey: expected a PKCS#8 PEM (BEGIN PRIVATE KEY)' });
      const { clientId, clientSecret, privateKey, enabled, kind: _k, ...settings } = input;
      void _k;
      const now = new Date(clock.now());
      await db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('oauth_providers').select(['client_secret_encrypted', 'private_key_encrypted']).where('name', '=', name).executeTakeFirst();
        const row = {
          name, kind, client_id: clientId, settings: settings as Record<string, unknown>, enabled: enabled ?? true, updated_at: now,
          client_secret_encrypted: clientSecret !== undefined ? encrypter.encrypt(clientSecret, `oauth_provider:${name}:secret`) : before?.client_secret_encrypted ?? null,
          private_key_encrypted: privateKey !== undefined ? encrypter.encrypt(privateKey, `oauth_provider:${name}:key`) : before?.private_key_encrypted ?? null,
        };
        if (kind !== 'apple' && !row.client_secret_encrypted) throw new AppError('validation_failed', { message: 'clientSecret is required' });
        await trx.insertInto('oauth_providers').values({ ...row, created_at: now }).onConflict((oc) => oc.column('name').doUpdateSet(row)).execute();
        await audit(trx, { type: 'oauth.provider_saved', details: { provider: name, kind, created: !before, enabled: row.enabled } });
      });
      registry.invalidate();
    },

    async deleteProvider(name: string): Promise<void> {
      if (registry.isEnvProvider(name)) throw new AppError('oauth_provider_managed_by_env');
      await db.transaction().execute(async (trx) => {
        const gone = await trx.deleteFrom('oauth_providers').where('name', '=', name).returning('name').executeTakeFirst();
        if (!gone) throw new AppError('oauth_provider_unknown');
        await audit(trx, { type: 'oauth.provider_deleted', details: { provider: name } });
      });
      registry.invalidate();
    },

    /** Enables or disables a provider stored in the database (the CLI). */
    async setProviderEnabled(name: string, enabled: boolean): Promise<void> {
      if (registry.isEnvProvider(name)) throw new AppError('oauth_provider_managed_by_env');
      await db.transaction().execute(async (trx) => {
        if (!(await repo.setProviderEnabled(trx, name, enabled, new Date(clock.now())))) throw new AppError('oauth_provider_unknown');
        await audit(trx, { type: 'oauth.provider_saved', details: { provider: name, enabled } });
      });
      registry.invalidate();
    },

    /**
     * Checks a provider from here: its configuration builds (discovery for OIDC issuers),
     * and its authorization endpoint (and JWKS, when it has one) answers.
     */
    async testProvider(name: string): Promise<{ provider: string; ok: boolean; checks: { check: string; ok: boolean; detail: string }[] }> {
      const checks: { check: string; ok: boolean; detail: string }[] = [];
      let p: ResolvedProvider;
      try {
        registry.invalidate();
        p = await registry.get(name, { includeDisabled: true });
        checks.push({ check: 'configuration', ok: true, detail: p.settings.issuer || ('discover' in p.adapter.endpoints(p.settings)) ? `discovered from ${p.endpoints.issuer}` : `endpoints of ${p.displayName}` });
      } catch (err) {
        const code = err instanceof AppError ? err.code : 'error';
        checks.push({ check: 'configuration', ok: false, detail: code === 'oauth_provider_unknown' ? 'not configured' : code === 'oauth_provider_unavailable' ? 'discovery failed (issuer unreachable or not an OpenID Provider)' : (err as Error).message });
        return { provider: name, ok: false, checks };
      }
      const reach = async (check: string, url: string, ok: (status: number, body: string) => boolean) => {
        try {
          const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000), headers: { accept: 'application/json, text/html' } });
          const body = await res.text();
          checks.push({ check, ok: ok(res.status, body), detail: `${new URL(url).origin}${new URL(url).pathname} answered ${res.status}` });
        } catch (err) {
          checks.push({ check, ok: false, detail: `${new URL(url).origin}${new URL(url).pathname} unreachable (${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message})` });
        }
      };
      const authUrl = new URL(p.endpoints.authorization);
      authUrl.searchParams.set('client_id', p.settings.clientId);
      authUrl.searchParams.set('response_type', 'code');
      authUrl.searchParams.set('redirect_uri', p.callbackUrl);
      authUrl.searchParams.set('scope', p.scopes.join(' '));
      authUrl.searchParams.set('state', 'tessera-oauth-test');
      await reach('authorization endpoint', authUrl.toString(), (status) => status < 500);
      if (p.endpoints.jwks) {
        await reach('JWKS', p.endpoints.jwks, (status, body) => {
          try {
            return status === 200 && Array.isArray((JSON.parse(body) as { keys?: unknown }).keys);
          } catch {
            return false;
          }
        });
      }
      return { provider: name, ok: checks.every((c) => c.ok), checks };
    },

    /** Administrators: links a provider account to a user (no tokens; the next sign-in with it brings them). */
    async linkByAdmin(userId: string, provider: string, providerUserId: string, profile: { email?: string | undefined; name?: string | undefined }) {
      if (!(await users.findById(userId))) throw new AppError('not_found');
      const now = new Date(clock.now());
      await db.transaction().execute(async (trx) => {
        const holder = await trx.selectFrom('user_identities').select('user_id').where('provider', '=', provider).where('provider_user_id', '=', providerUserId).executeTakeFirst();
        if (holder) throw new AppError(holder.user_id === userId ? 'provider_already_linked' : 'identity_already_linked');
        if (await repo.identityOf(trx, userId, provider)) throw new AppError('provider_already_linked');
        await repo.insertIdentity(trx, {
          id: randomUUID(), user_id: userId, provider, provider_user_id: providerUserId, email: profile.email ? normalizeEmail(profile.email) : null,
          email_verified: false, name: profile.name ?? null, avatar_url: null, profile: JSON.stringify({ linkedByAdministrator: true }) as never, scopes: [],
          refresh_attempts: 0, needs_reconsent: false, created_at: now, updated_at: now,
        });
        await audit(trx, { type: 'oauth.identity_linked', subject: userId, details: { provider, byAdministrator: true } });
      });
      return (await repo.identitiesOf(db, userId)).map(presentIdentity);
    },

    /** Administrators: unlinks a provider; `force` allows taking the account's last sign-in method. */
    async unlinkByAdmin(userId: string, provider: string, force: boolean): Promise<void> {
      const user = await users.findById(userId);
      if (!user) throw new AppError('not_found');
      const all = await repo.identitiesOf(db, userId);
      if (!all.some((i) => i.provider === provider)) throw new AppError('identity_not_found');
      if (!force && !user.password_hash && all.length === 1 && (await deps.passkeyCount(userId)) === 0) throw new AppError('last_sign_in_method');
      const revoked = await forgetTokens(all.find((i) => i.provider === provider)!);
      await db.transaction().execute(async (trx) => {
        await repo.deleteIdentity(trx, userId, provider);
        await audit(trx, { type: 'oauth.identity_unlinked', subject: userId, details: { provider, byAdministrator: true } });
        if (revoked) await audit(trx, { type: 'oauth.provider_tokens_revoked', subject: userId, details: { ...revoked, byAdministrator: true } });
      });
    },

    /** Administrators: a user's identities. */
    async identitiesForAdmin(userId: string) {
      if (!(await users.findById(userId))) throw new AppError('not_found');
      return (await repo.identitiesOf(db, userId)).map((i) => ({ ...presentIdentity(i), id: i.id, providerUserId: i.provider_user_id, lastRefreshError: i.last_refresh_error, accessTokenExpiresAt: i.access_token_expires_at?.toISOString() ?? null }));
    },
  };
}

export type OAuthService = ReturnType<typeof createOAuthService>;
