// Social sign-in: the redirect to the provider (state, PKCE, nonce), the callback (the
// state taken once and checked against the browser, the code exchanged, the ID token
// validated, the profile read), the account it signs in to (an identity, a link, or a
// new user), native apps' start and code exchange (bound to their PKCE challenge), and the
// identities of a user.
//
// Each use case is a plain function taking OAuthServiceDeps first, in a file per theme
// (authorize-start, callback, native-exchange, sign-in-or-up, identities, linking,
// provider-admin); this file binds them to one set of dependencies for the composition
// root and the routes.
import type { Db } from '../../database.ts';
import type { SessionContext } from '../sessions/index.ts';
import { nativeStart, pruneExpiredStates, start, type NativeStartInput, type StartInput } from './authorize-start.ts';
import { callback } from './callback.ts';
import { countIdentities, identities, identitiesForAdmin, providerToken } from './identities.ts';
import { linkByAdmin, merge, unlink, unlinkByAdmin, type AdminMarks } from './linking.ts';
import { exchange, type ExchangeInput } from './native-exchange.ts';
import type { OAuthServiceDeps } from './oauth-deps.ts';
import * as repo from './oauth.repo.ts';
import { deleteProvider, saveProvider, setProviderEnabled, testProvider, type ProviderInput } from './provider-admin.ts';

export type { OAuthServiceDeps } from './oauth-deps.ts';
export type { ProviderInput } from './provider-admin.ts';
export type { Outcome } from './sign-in-or-up.ts';
export { presentIdentity } from './identities.ts';

export function createOAuthService(deps: OAuthServiceDeps) {
  return {
    registry: deps.registry,
    /** Removes every provider identity of a user in the caller's transaction (an address claimed by its owner). */
    removeAllIdentitiesIn: (trx: Db, userId: string) => repo.deleteIdentitiesOf(trx, userId),
    start: (name: string, input: StartInput) => start(deps, name, input),
    callback: (name: string, params: Record<string, string>, browserBinding: string | undefined, ctx: Omit<SessionContext, 'amr'>) => callback(deps, name, params, browserBinding, ctx),
    nativeStart: (name: string, input: NativeStartInput) => nativeStart(deps, name, input),
    exchange: (name: string, input: ExchangeInput, ctx: Omit<SessionContext, 'amr'>) => exchange(deps, name, input, ctx),
    identities: (userId: string) => identities(deps, userId),
    unlink: (userId: string, provider: string) => unlink(deps, userId, provider),
    providerToken: (userId: string, provider: string) => providerToken(deps, userId, provider),
    prune: () => pruneExpiredStates(deps),
    count: (userId: string) => countIdentities(deps, userId),
    merge: (intoUserId: string, fromUserId: string) => merge(deps, intoUserId, fromUserId),
    saveProvider: (name: string, input: ProviderInput) => saveProvider(deps, name, input),
    deleteProvider: (name: string) => deleteProvider(deps, name),
    setProviderEnabled: (name: string, enabled: boolean) => setProviderEnabled(deps, name, enabled),
    testProvider: (name: string) => testProvider(deps, name),
    linkByAdmin: (userId: string, provider: string, providerUserId: string, profile: { email?: string | undefined; name?: string | undefined }, marks?: AdminMarks) => linkByAdmin(deps, userId, provider, providerUserId, profile, marks),
    unlinkByAdmin: (userId: string, provider: string, force: boolean, marks?: AdminMarks) => unlinkByAdmin(deps, userId, provider, force, marks),
    identitiesForAdmin: (userId: string) => identitiesForAdmin(deps, userId),
  };
}

export type OAuthService = ReturnType<typeof createOAuthService>;
