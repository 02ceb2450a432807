// The providers in service: those of the environment and those stored in the database
// (by the CLI or the admin API, secrets sealed). Each becomes an openid-client
// Configuration, built on first use (by discovery where the adapter or the settings name
// an issuer) and kept for an hour; Apple's, whose client secret is a signed JWT, for 30
// minutes.
import * as client from 'openid-client';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import type { Encrypter } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database } from '../../database.ts';
import { ADAPTERS, type Endpoints, type OAuthProviderId, type OAuthProviderSettings, type ProviderAdapter } from './providers/index.ts';
import * as repo from './oauth.repo.ts';
import type { OAuthProviderRow } from './oauth.table.ts';

export interface ResolvedProvider {
  name: string;
  displayName: string;
  settings: OAuthProviderSettings;
  adapter: ProviderAdapter;
  config: client.Configuration;
  endpoints: Endpoints;
  scopes: string[];
  /** The redirect URI registered at the provider. */
  callbackUrl: string;
}

export interface ProviderSummary {
  name: string;
  kind: string;
  displayName: string;
  source: 'env' | 'database';
  enabled: boolean;
  callbackUrl: string;
  /** For the admin API (never a secret): the client id, scopes and settings, and whether each secret is set. */
  clientId: string;
  scopes: string[] | null;
  settings: StoredSettings;
  clientSecretSet: boolean;
  privateKeySet: boolean;
}

/** The settings that are not secrets, as given (displayName and scopes apart). */
function publicSettings(s: OAuthProviderSettings): StoredSettings {
  const out: StoredSettings = {};
  for (const k of ['issuer', 'authorizationUrl', 'tokenUrl', 'userinfoUrl', 'jwksUrl', 'tenantId', 'teamId', 'keyId', 'baseUrl'] as const) if (s[k] !== undefined) out[k] = s[k];
  return out;
}

const DB_TTL_MS = 10_000;
const CONFIG_TTL_MS = 3_600_000;
const HTTP_TIMEOUT_S = 10;

/** Provider settings kept in the database, without secrets. */
export interface StoredSettings {
  scopes?: string[];
  displayName?: string;
  issuer?: string;
  authorizationUrl?: string;
  tokenUrl?: string;
  userinfoUrl?: string;
  jwksUrl?: string;
  tenantId?: string;
  teamId?: string;
  keyId?: string;
  baseUrl?: string;
}

export function createProviderRegistry(deps: {
  db: Kysely<Database>;
  clock: Clock;
  log: FastifyBaseLogger;
  encrypter: Encrypter;
  envProviders: readonly OAuthProviderSettings[];
  publicUrl: string;
}) {
  const { db, clock, encrypter } = deps;
  const envNames = new Set(deps.envProviders.map((p) => p.name));
  let stored: { at: number; rows: OAuthProviderRow[] } | undefined;
  const built = new Map<string, { at: number; ttl: number; key: string; provider: Promise<ResolvedProvider> }>();

  const callbackUrl = (name: string) => `${deps.publicUrl}/auth/oauth/${name}/callback`;

  async function storedRows(): Promise<OAuthProviderRow[]> {
    const now = clock.now();
    if (!stored || now - stored.at > DB_TTL_MS) stored = { at: now, rows: await repo.listProviders(db) };
    return stored.rows;
  }

  function fromRow(row: OAuthProviderRow): OAuthProviderSettings {
    const s = row.settings as StoredSettings;
    return {
      name: row.name, kind: row.kind as OAuthProviderId | 'oidc', clientId: row.client_id, source: 'database',
      clientSecret: row.client_secret_encrypted ? encrypter.decrypt(row.client_secret_encrypted, `oauth_provider:${row.name}:secret`).toString('utf8') : undefined,
      privateKey: row.private_key_encrypted ? encrypter.decrypt(row.private_key_encrypted, `oauth_provider:${row.name}:key`).toString('utf8') : undefined,
      ...s,
    };
  }

  /** The settings of every provider, env first; a stored provider never shadows an env one. */
  async function allSettings(): Promise<{ settings: OAuthProviderSettings; enabled: boolean }[]> {
    const rows = (await storedRows()).filter((r) => !envNames.has(r.name));
    return [...deps.envProviders.map((settings) => ({ settings, enabled: true })), ...rows.map((r) => ({ settings: fromRow(r), enabled: r.enabled }))];
  }

  const insecure = (u: string | undefined) => u !== undefined && u.startsWith('http:');

  async function build(settings: OAuthProviderSettings): Promise<ResolvedProvider> {
    const adapter = ADAPTERS[settings.kind];
    const defaults = adapter.endpoints(settings);
    const secret = adapter.clientSecret ? await adapter.clientSecret(settings, Math.floor(clock.now() / 1000)) : settings.clientSecret;
    const metadata: Partial<client.ClientMetadata> = secret ? { client_secret: secret } : {};
    const auth = !secret ? client.None() : adapter.tokenAuth === 'client_secret_basic' ? client.ClientSecretBasic(secret) : client.ClientSecretPost(secret);
    const overrides = {
      ...(settings.authorizationUrl ? { authorization_endpoint: settings.authorizationUrl } : {}),
      ...(settings.tokenUrl ? { token_endpoint: settings.tokenUrl } : {}),
      ...(settings.userinfoUrl ? { userinfo_endpoint: settings.userinfoUrl } : {}),
      ...(settings.jwksUrl ? { jwks_uri: settings.jwksUrl } : {}),
    };
    const discoverAt = settings.issuer ?? ('discover' in defaults ? defaults.discover : undefined);
    let config: client.Configuration;
    try {
      if (discoverAt) {
        config = await client.discovery(new URL(discoverAt), settings.clientId, metadata, auth, {
          timeout: HTTP_TIMEOUT_S, ...(insecure(discoverAt) ? { execute: [client.allowInsecureRequests] } : {}),
        });
        if (Object.keys(overrides).length) {
          const { supportsPKCE, ...discovered } = config.serverMetadata();
          void supportsPKCE;
          config = new client.Configuration({ ...discovered, ...overrides }, settings.clientId, metadata, auth);
        }
      } else {
        const d = defaults as Endpoints;
        config = new client.Configuration({
          issuer: d.issuer ?? `urn:tessera:oauth:${settings.name}`,
          authorization_endpoint: d.authorization, token_endpoint: d.token,
          ...(d.userinfo ? { userinfo_endpoint: d.userinfo } : {}), ...(d.jwks ? { jwks_uri: d.jwks } : {}),
          ...overrides,
        }, settings.clientId, metadata, auth);
      }
    } catch (err) {
      deps.log.warn({ oauth: 'discovery_failed', provider: settings.name, err: (err as Error).message }, 'OAuth provider discovery failed');
      throw new AppError('oauth_provider_unavailable', { cause: err });
    }
    const m = config.serverMetadata();
    if ([m.authorization_endpoint, m.token_endpoint, m.userinfo_endpoint, m.jwks_uri, m.issuer].some((u) => insecure(u))) client.allowInsecureRequests(config);
    config.timeout = HTTP_TIMEOUT_S;
    const endpoints: Endpoints = { issuer: m.issuer, authorization: m.authorization_endpoint!, token: m.token_endpoint!, userinfo: m.userinfo_endpoint, jwks: m.jwks_uri };
    return {
      name: settings.name,
      displayName: settings.displayName ?? (settings.kind === 'oidc' ? settings.name : adapter.displayName),
      settings, adapter, config, endpoints,
      scopes: settings.scopes ?? adapter.scopes,
      callbackUrl: callbackUrl(settings.name),
    };
  }

  return {
    callbackUrl,
    /** A provider in service, built or taken from the cache; oauth_provider_unknown otherwise. */
    async get(name: string, opts: { includeDisabled?: boolean } = {}): Promise<ResolvedProvider> {
      const entry = (await allSettings()).find((p) => p.settings.name === name);
      if (!entry || (!entry.enabled && !opts.includeDisabled)) throw new AppError('oauth_provider_unknown');
      const key = JSON.stringify(entry.settings);
      const cached = built.get(name);
      const now = clock.now();
      if (cached && cached.key === key && now - cached.at < cached.ttl) return cached.provider;
      const provider = build(entry.settings);
      const ttl = ADAPTERS[entry.settings.kind].clientSecret ? CONFIG_TTL_MS / 2 : CONFIG_TTL_MS;
      built.set(name, { at: now, ttl, key, provider });
      // A failed discovery is tried again at the next request.
      provider.catch(() => { if (built.get(name)?.provider === provider) built.delete(name); });
      return provider;
    },
    /** Every configured provider, for the sign-in page and the admin API. */
    async list(): Promise<ProviderSummary[]> {
      return (await allSettings()).map(({ settings, enabled }) => ({
        name: settings.name, kind: settings.kind, source: settings.source, enabled, callbackUrl: callbackUrl(settings.name),
        displayName: settings.displayName ?? (settings.kind === 'oidc' ? settings.name : ADAPTERS[settings.kind].displayName),
        clientId: settings.clientId, scopes: settings.scopes ?? null, settings: publicSettings(settings),
        clientSecretSet: Boolean(settings.clientSecret), privateKeySet: Boolean(settings.privateKey),
      }));
    },
    isEnvProvider: (name: string) => envNames.has(name),
    /** Drops the cached database rows (after a change through this instance). */
    invalidate(): void {
      stored = undefined;
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;
