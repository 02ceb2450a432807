// The provider-token vault: provider access, refresh and ID tokens sealed with
// AES-256-GCM (the identity and the column are the additional data, so a sealed token
// cannot be moved to another row), refreshed by a background worker shortly before they
// expire and on demand when the owner asks for one.
//
// The worker claims due identities with `FOR UPDATE SKIP LOCKED` and a lease column, so
// any number of instances share the work and one identity is refreshed by one of them.
// A failed refresh is retried after 1, 5 and 15 minutes; when the third retry fails the
// identity needs re-consent (the user signs in with the provider again).
import * as client from 'openid-client';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import type { Encrypter } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import { createWorker, type Worker } from '../../core/worker.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { clearSystemFlag, setSystemFlag, systemFlagSet } from '../users/index.ts';
import * as repo from './oauth.repo.ts';
import type { IdentityRow, RefreshRunError } from './oauth.table.ts';
import type { ProviderRegistry } from './registry.ts';

/** Delays before the 1st, 2nd and 3rd retry of a failed refresh. */
export const RETRY_DELAYS_S = [60, 300, 900];
export const MAX_ATTEMPTS = RETRY_DELAYS_S.length + 1;
const LEASE_S = 60;
const BATCH = 20;
/** Errors a run keeps for `tessera oauth refresh status`. */
const RUN_ERRORS = 10;

/** What one refresh pass did. */
interface Tally { refreshed: number; failed: number; errors: RefreshRunError[] }
/** While this system flag exists, the background refresh passes do nothing (`tessera oauth refresh stop`). */
export const REFRESH_PAUSED_FLAG = 'oauth_refresh_paused';

export interface ProviderTokens {
  access_token: string;
  refresh_token?: string | undefined;
  id_token?: string | undefined;
  token_type?: string | undefined;
  scope?: string | undefined;
  expires_in?: number | undefined;
}

/** The columns a token response sets. */
export interface TokenColumns {
  access_token_encrypted: string;
  token_type: string;
  scopes: string[];
  access_token_expires_at: Date | null;
  refresh_attempts: number;
  last_refresh_error: null;
  needs_reconsent: boolean;
  refresh_token_encrypted?: string;
  id_token_encrypted?: string;
}

export function createVault(deps: {
  db: Kysely<Database>;
  clock: Clock;
  log: FastifyBaseLogger;
  encrypter: Encrypter;
  registry: ProviderRegistry;
  audit: AuditRecorder;
  /** Seconds before expiry at which the worker refreshes. */
  marginSeconds: number;
}) {
  const { db, clock, encrypter, registry } = deps;
  const seal = (identityId: string, column: string, value: string) => encrypter.encrypt(value, `identity:${identityId}:${column}`);
  const open = (identityId: string, column: string, sealed: string) => encrypter.decrypt(sealed, `identity:${identityId}:${column}`).toString('utf8');

  /**
   * The columns that store a token response for an identity. A response without a
   * refresh token keeps the one stored (providers that do not rotate).
   */
  function tokenColumns(identityId: string, t: ProviderTokens, requestedScopes: string[]): TokenColumns {
    const now = clock.now();
    const expiresAt = typeof t.expires_in === 'number' && t.expires_in > 0 ? new Date(now + t.expires_in * 1000) : null;
    const cols: TokenColumns = {
      access_token_encrypted: seal(identityId, 'access_token', t.access_token),
      token_type: t.token_type ?? 'bearer',
      scopes: t.scope ? t.scope.split(/[\s,]+/).filter(Boolean) : requestedScopes,
      access_token_expires_at: expiresAt,
      refresh_attempts: 0,
      last_refresh_error: null,
      needs_reconsent: false,
    };
    if (t.refresh_token) cols.refresh_token_encrypted = seal(identityId, 'refresh_token', t.refresh_token);
    if (t.id_token) cols.id_token_encrypted = seal(identityId, 'id_token', t.id_token);
    return cols;
  }

  /** When the worker should refresh: `margin` before expiry, if there is a refresh token and an expiry. */
  function dueAt(expiresAt: Date | null | undefined, hasRefreshToken: boolean): Date | null {
    if (!expiresAt || !hasRefreshToken) return null;
    return new Date(Math.max(clock.now(), expiresAt.getTime() - deps.marginSeconds * 1000));
  }

  /** A provider's error, short and without secrets, for the identity's record. */
  function describe(err: unknown): string {
    if (err instanceof client.ResponseBodyError) return `${err.error}${err.error_description ? `: ${err.error_description.slice(0, 200)}` : ''}`;
    if (err instanceof AppError) return err.code;
    const cause = (err as { cause?: unknown }).cause;
    const status = cause instanceof Response ? ` (HTTP ${cause.status})` : '';
    return `${((err as Error).message ?? 'refresh failed').slice(0, 200)}${status}`;
  }

  /**
   * Refreshes one claimed identity and records the outcome (audited, and counted in
   * `tally` for a pass); returns the row after it.
   */
  async function refreshClaimed(row: IdentityRow, heldUntil: Date, tally?: Tally): Promise<IdentityRow | undefined> {
    const now = new Date(clock.now());
    try {
      if (!row.refresh_token_encrypted) throw new Error('no refresh token');
      const provider = await registry.get(row.provider);
      const t = await client.refreshTokenGrant(provider.config, open(row.id, 'refresh_token', row.refresh_token_encrypted));
      const cols = tokenColumns(row.id, t, row.scopes);
      const rotated = Boolean(t.refresh_token);
      const done = await db.transaction().execute(async (trx) => {
        const r = await repo.finishRefresh(trx, row.id, heldUntil, {
          ...cols, last_refreshed_at: now, updated_at: now,
          refresh_due_at: dueAt(cols.access_token_expires_at, true),
        });
        if (r) await deps.audit(trx, { type: 'oauth.token_refreshed', subject: row.user_id, actor: { type: 'system' }, details: { provider: row.provider, identityId: row.id, rotated, by: tally ? 'worker' : 'on_demand' } });
        return r;
      });
      if (tally && done) tally.refreshed++;
      deps.log.info({ oauth: 'provider_token_refreshed', identityId: row.id, provider: row.provider, rotated: Boolean(t.refresh_token) }, 'provider token refreshed');
      return done;
    } catch (err) {
      const attempts = row.refresh_attempts + 1;
      const error = describe(err);
      const giveUp = attempts >= MAX_ATTEMPTS;
      const done = await db.transaction().execute(async (trx) => {
        const r = await repo.finishRefresh(trx, row.id, heldUntil, {
          refresh_attempts: attempts, last_refresh_error: error, updated_at: now,
          refresh_due_at: giveUp ? null : new Date(now.getTime() + RETRY_DELAYS_S[attempts - 1]! * 1000),
          needs_reconsent: giveUp,
        });
        if (r) await deps.audit(trx, { type: 'oauth.token_refresh_failed', subject: row.user_id, actor: { type: 'system' }, success: false, reason: giveUp ? 'reconsent_required' : 'will_retry', details: { provider: row.provider, identityId: row.id, attempts, error, by: tally ? 'worker' : 'on_demand' } });
        if (r && giveUp) await deps.audit(trx, { type: 'oauth.reconsent_required', subject: row.user_id, actor: { type: 'system' }, details: { provider: row.provider, identityId: row.id, error } });
        return r;
      });
      if (tally && done) {
        tally.failed++;
        if (tally.errors.length < RUN_ERRORS) tally.errors.push({ provider: row.provider, identityId: row.id, error });
      }
      deps.log.warn({ oauth: giveUp ? 'provider_token_reconsent_required' : 'provider_token_refresh_failed', identityId: row.id, provider: row.provider, attempts, error }, 'provider token refresh failed');
      return done;
    }
  }

  /**
   * One pass: every due identity, a batch at a time (none while paused, unless forced).
   * A pass that had work replaces the record of the last run (any instance's), which
   * `tessera oauth refresh status` shows; an idle pass writes nothing.
   */
  async function pass(force = false): Promise<number> {
    if (!force && (await systemFlagSet(db, REFRESH_PAUSED_FLAG))) return 0;
    const startedAt = new Date(clock.now());
    const tally: Tally = { refreshed: 0, failed: 0, errors: [] };
    let total = 0;
    for (;;) {
      const now = new Date(clock.now());
      const heldUntil = new Date(now.getTime() + LEASE_S * 1000);
      const rows = await repo.claimDue(db, now, heldUntil, BATCH);
      for (const row of rows) await refreshClaimed(row, heldUntil, tally);
      total += rows.length;
      if (rows.length === 0 || worker.stopped || rows.length < BATCH) break;
    }
    if (total > 0) await repo.saveRefreshRun(db, { startedAt, finishedAt: new Date(clock.now()), ...tally });
    return total;
  }

  /**
   * Revokes an identity's provider tokens at the provider (RFC 7009) before Tessera
   * forgets them (unlink): the refresh token, else the access token. Best effort: a
   * provider without a revocation endpoint, or one that fails, leaves them to expire there.
   */
  async function revokeAtProvider(row: IdentityRow): Promise<'revoked' | 'unsupported' | 'failed' | 'none'> {
    const sealed = row.refresh_token_encrypted ? { column: 'refresh_token', value: row.refresh_token_encrypted, hint: 'refresh_token' }
      : row.access_token_encrypted ? { column: 'access_token', value: row.access_token_encrypted, hint: 'access_token' } : undefined;
    if (!sealed) return 'none';
    try {
      const provider = await registry.get(row.provider);
      if (!provider.config.serverMetadata().revocation_endpoint) return 'unsupported';
      await client.tokenRevocation(provider.config, open(row.id, sealed.column, sealed.value), { token_type_hint: sealed.hint });
      return 'revoked';
    } catch (err) {
      deps.log.warn({ oauth: 'provider_token_revocation_failed', identityId: row.id, provider: row.provider, error: describe(err) }, 'provider token revocation failed');
      return 'failed';
    }
  }

  const worker: Worker = createWorker(() => pass(), (err) => deps.log.error({ err }, 'provider token refresh pass failed'));

  return {
    /** Refreshes every due token now, paused or not (`tessera oauth refresh once`). */
    refreshOnce: (): Promise<number> => pass(true),
    revokeAtProvider,
    /** Pauses or resumes the background refresh on every instance (a flag in the database). */
    async setPaused(paused: boolean): Promise<boolean> {
      return paused ? setSystemFlag(db, REFRESH_PAUSED_FLAG) : clearSystemFlag(db, REFRESH_PAUSED_FLAG);
    },
    /** The worker's state, its last run (any instance's) and the tokens it looks after. */
    async status() {
      const counts = await repo.refreshCounts(db, new Date(clock.now()));
      const run = await repo.lastRefreshRun(db);
      const lastRun = run ? { startedAt: run.started_at.toISOString(), finishedAt: run.finished_at.toISOString(), refreshed: run.refreshed, failed: run.failed, errors: run.errors } : null;
      return { paused: await systemFlagSet(db, REFRESH_PAUSED_FLAG), marginSeconds: deps.marginSeconds, lastRun, ...counts };
    },
    tokenColumns,
    dueAt,
    seal,
    worker,
    /** Runs one pass now (tests, and a kick after sign-in). Returns how many identities it handled. */
    runOnce: pass,
    /**
     * A valid provider access token of the identity: the stored one while it has more than
     * 30 seconds left, else refreshed now (waiting for a worker that holds it).
     */
    async accessToken(on: Db, identity: IdentityRow): Promise<{ accessToken: string; tokenType: string; expiresAt: Date | null; scopes: string[] }> {
      let row = identity;
      for (let waited = 0; ; waited += 100) {
        if (row.needs_reconsent) throw new AppError('oauth_reconsent_required');
        if (!row.access_token_encrypted) throw new AppError('provider_token_unavailable');
        const fresh = !row.access_token_expires_at || row.access_token_expires_at.getTime() - clock.now() > 30_000;
        if (fresh) return { accessToken: open(row.id, 'access_token', row.access_token_encrypted), tokenType: row.token_type ?? 'bearer', expiresAt: row.access_token_expires_at, scopes: row.scopes };
        if (!row.refresh_token_encrypted) throw new AppError('oauth_reconsent_required', { message: 'The provider token has expired and cannot be refreshed; sign in with the provider again' });
        const now = new Date(clock.now());
        const heldUntil = new Date(now.getTime() + LEASE_S * 1000);
        const claimed = await repo.claimOne(on, row.id, now, heldUntil);
        if (claimed) {
          const after = await refreshClaimed(claimed, heldUntil);
          if (!after) throw new AppError('provider_token_unavailable');
          if (after.last_refresh_error && after.refresh_attempts > 0) {
            throw new AppError(after.needs_reconsent ? 'oauth_reconsent_required' : 'oauth_provider_unavailable', { message: 'The provider did not renew its token' });
          }
          row = after;
          continue;
        }
        // Another instance is refreshing it: wait for its outcome (at most 10 s).
        if (waited >= 10_000) throw new AppError('oauth_provider_unavailable');
        await new Promise((r) => setTimeout(r, 100));
        const again = await repo.findIdentityById(on, row.id);
        if (!again) throw new AppError('identity_not_found');
        row = again;
      }
    },
  };
}

export type Vault = ReturnType<typeof createVault>;
