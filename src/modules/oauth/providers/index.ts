// The provider adapters, one small file each: a provider's file declares its name, display
// name and own settings, and this list is the only other place it appears. The names, the
// environment variables (oauthEnvNames) and the documentation checks derive from it.
import { OAUTH_COMMON_SETTINGS, type OAuthProviderSettings as Settings } from '../../../core/config/index.ts';
import { apple } from './apple.ts';
import { bitbucket } from './bitbucket.ts';
import { discord } from './discord.ts';
import { facebook } from './facebook.ts';
import { github } from './github.ts';
import { gitlab } from './gitlab.ts';
import { google } from './google.ts';
import { linkedin } from './linkedin.ts';
import { microsoft } from './microsoft.ts';
import { oidc } from './oidc.ts';
import { slack } from './slack.ts';
import { spotify } from './spotify.ts';
import { twitch } from './twitch.ts';
import { twitter } from './twitter.ts';
import type { ProviderAdapter } from './types.ts';

/** The named providers, in the order they are listed and documented. */
export const PROVIDERS = [google, github, facebook, twitter, linkedin, apple, microsoft, slack, discord, twitch, gitlab, bitbucket, spotify] as const;

export type OAuthProviderId = (typeof PROVIDERS)[number]['kind'];
export const OAUTH_PROVIDER_IDS: readonly OAuthProviderId[] = PROVIDERS.map((p) => p.kind);

/** A provider's settings, of a kind this module has an adapter for. */
export type OAuthProviderSettings = Settings<OAuthProviderId | 'oidc'>;

export const ADAPTERS = Object.fromEntries([...PROVIDERS, oidc].map((a) => [a.kind, a])) as Readonly<Record<OAuthProviderId | 'oidc', ProviderAdapter>>;

/** The settings a named provider reads: the common ones, then its own. */
export const settingsOf = (p: ProviderAdapter): string[] => [...OAUTH_COMMON_SETTINGS, ...(p.env?.settings ?? [])];

/** Every variable name the provider settings may use (for docs checks and `config check`). */
export function oauthEnvNames(): string[] {
  return PROVIDERS.flatMap((p) => settingsOf(p).map((s) => `AUTH_OAUTH_${p.kind.toUpperCase()}_${s}`));
}

export type { Endpoints, Profile, ProfileInput, ProviderAdapter, ProviderEnv, ProviderEnvReader } from './types.ts';
