// The provider adapters, one small file each, by kind.
import type { OAuthProviderId } from '../../../core/config/index.ts';
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

export const ADAPTERS: Record<OAuthProviderId | 'oidc', ProviderAdapter> = {
  google, github, facebook, twitter, linkedin, apple, microsoft, slack, discord, twitch, gitlab, bitbucket, spotify, oidc,
};

export type { Endpoints, Profile, ProfileInput, ProviderAdapter } from './types.ts';
