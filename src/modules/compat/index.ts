// Compatibility profiles own nothing but shapes: each serves the request and response
// shapes of a service Tessera replaces (AUTH_COMPAT_PROFILES, docs/compat.md), under its
// own prefix, over the same services as Tessera's API. Sign-in goes through the password
// sign-in and so through the one gate; a profile never starts a session or signs a token.
import type { FastifyPluginAsync } from 'fastify';
import { mstackRoutes, type MstackRoutesOptions } from './mstack.ts';

export type CompatProfile = 'mstack';

export interface CompatRoutesOptions extends MstackRoutesOptions {
  profiles: readonly CompatProfile[];
  prefixes: Record<CompatProfile, string>;
}

/** Registers the profiles that are on, each under its prefix. */
export const compatRoutes: FastifyPluginAsync<CompatRoutesOptions> = async (app, { profiles, prefixes, ...deps }) => {
  if (profiles.includes('mstack')) await app.register(mstackRoutes, { ...deps, prefix: `${prefixes.mstack}/auth` });
};
