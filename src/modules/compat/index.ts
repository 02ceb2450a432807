// Compatibility profiles own nothing but shapes: each serves the request and response
// shapes of a service Tessera replaces (AUTH_COMPAT_PROFILES, docs/compat.md), under its
// own prefix, over the same services as Tessera's API. Every sign-in goes through the
// password sign-in, the MFA module's challenge or an address proof, and so through the one
// gate; a profile never starts a session or signs a token itself.
import type { FastifyPluginAsync } from 'fastify';
import { eddRoutes, type EddRoutesOptions } from './edd.ts';
import { mstackRoutes, type MstackRoutesOptions } from './mstack.ts';
import { myauthRoutes, type MyauthRoutesOptions } from './myauth.ts';

export type CompatProfile = 'myauth' | 'mstack' | 'edd';

export type CompatRoutesOptions = MstackRoutesOptions & MyauthRoutesOptions & EddRoutesOptions & {
  profiles: readonly CompatProfile[];
  prefixes: Record<CompatProfile, string>;
};

/** Registers the profiles that are on, each under its prefix. */
export const compatRoutes: FastifyPluginAsync<CompatRoutesOptions> = async (app, { profiles, prefixes, ...deps }) => {
  if (profiles.includes('myauth')) await app.register(myauthRoutes, { ...deps, prefix: prefixes.myauth });
  if (profiles.includes('mstack')) await app.register(mstackRoutes, { ...deps, prefix: `${prefixes.mstack}/auth` });
  if (profiles.includes('edd')) await app.register(eddRoutes, { ...deps, prefix: prefixes.edd });
};
