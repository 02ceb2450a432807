// Providers kept in the database (the CLI and the admin API): saved with their secrets
// sealed, deleted, enabled or disabled, and checked from here. A provider the
// environment configures is not theirs to change. Each change empties the registry's cache.
import type { OAuthProviderSettings } from '../../core/config/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { OAuthServiceDeps } from './oauth-deps.ts';
import * as repo from './oauth.repo.ts';
import type { ResolvedProvider } from './registry.ts';

/** A provider as the admin API and the CLI store it: its settings, and whether it is in service. */
export type ProviderInput = Omit<OAuthProviderSettings, 'name' | 'source'> & { enabled?: boolean | undefined };

/** One check of testProvider, with what was seen. */
export interface ProviderCheck {
  check: string;
  ok: boolean;
  detail: string;
}

/**
 * Stores a provider in the database (the CLI and the admin API); its secrets are
 * sealed. A name the environment configures is refused.
 */
export async function saveProvider(deps: OAuthServiceDeps, name: string, input: ProviderInput): Promise<void> {
  const { db, clock, encrypter, registry, audit } = deps;
  if (registry.isEnvProvider(name)) throw new AppError('oauth_provider_managed_by_env');
  const kind = input.kind;
  if (kind === 'oidc' ? !input.issuer : false) throw new AppError('validation_failed', { message: 'An OIDC provider needs its issuer' });
  if (kind === 'apple' && !(input.teamId && input.keyId && (input.privateKey || (await repo.providerSecrets(db, name))?.private_key_encrypted))) {
    throw new AppError('validation_failed', { message: 'Apple needs teamId, keyId and privateKey' });
  }
  if (input.privateKey !== undefined && !input.privateKey.includes('BEGIN PRIVATE KEY')) throw new AppError('validation_failed', { message: 'privateKey: expected a PKCS#8 PEM (BEGIN PRIVATE KEY)' });
  const { clientId, clientSecret, privateKey, enabled, kind: _k, ...settings } = input;
  void _k;
  const now = new Date(clock.now());
  await db.transaction().execute(async (trx) => {
    const before = await repo.providerSecrets(trx, name);
    const row = {
      name, kind, client_id: clientId, settings: settings as Record<string, unknown>, enabled: enabled ?? true, updated_at: now,
      client_secret_encrypted: clientSecret !== undefined ? encrypter.encrypt(clientSecret, `oauth_provider:${name}:secret`) : before?.client_secret_encrypted ?? null,
      private_key_encrypted: privateKey !== undefined ? encrypter.encrypt(privateKey, `oauth_provider:${name}:key`) : before?.private_key_encrypted ?? null,
    };
    if (kind !== 'apple' && !row.client_secret_encrypted) throw new AppError('validation_failed', { message: 'clientSecret is required' });
    await repo.upsertProvider(trx, row, now);
    await audit(trx, { type: 'oauth.provider_saved', details: { provider: name, kind, created: !before, enabled: row.enabled } });
  });
  registry.invalidate();
}

/** Deletes a provider stored in the database. */
export async function deleteProvider(deps: OAuthServiceDeps, name: string): Promise<void> {
  const { db, registry, audit } = deps;
  if (registry.isEnvProvider(name)) throw new AppError('oauth_provider_managed_by_env');
  await db.transaction().execute(async (trx) => {
    if (!(await repo.deleteProvider(trx, name))) throw new AppError('oauth_provider_unknown');
    await audit(trx, { type: 'oauth.provider_deleted', details: { provider: name } });
  });
  registry.invalidate();
}

/** Enables or disables a provider stored in the database (the CLI). */
export async function setProviderEnabled(deps: OAuthServiceDeps, name: string, enabled: boolean): Promise<void> {
  const { db, clock, registry, audit } = deps;
  if (registry.isEnvProvider(name)) throw new AppError('oauth_provider_managed_by_env');
  await db.transaction().execute(async (trx) => {
    if (!(await repo.setProviderEnabled(trx, name, enabled, new Date(clock.now())))) throw new AppError('oauth_provider_unknown');
    await audit(trx, { type: 'oauth.provider_saved', details: { provider: name, enabled } });
  });
  registry.invalidate();
}

/**
 * Checks a provider from here: its configuration builds (discovery for OIDC issuers),
 * and its authorization endpoint (and JWKS, when it has one) answers.
 */
export async function testProvider(deps: OAuthServiceDeps, name: string): Promise<{ provider: string; ok: boolean; checks: ProviderCheck[] }> {
  const { registry } = deps;
  const checks: ProviderCheck[] = [];
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
}
