// The guard of routes that need a named permission. It accepts a user's token (signature,
// live session, active user) or a service account's token (the account still exists and
// is active), then checks the permission against the caller's current permissions, so
// that a change of roles applies at once to every server-side check.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { bearerToken } from '../../core/http/index.ts';
import { setActor, type Actor } from '../../core/context.ts';
import type { UserRow } from '../users/index.ts';
import type { AccessClaims, ClientClaims, VerifiedToken } from '../tokens/index.ts';
import type { Access } from './access.ts';
import { allows } from './names.ts';
import type { Caller } from './safety-rules.ts';

export type Principal =
  | { kind: 'user'; user: UserRow; claims: AccessClaims; roles: string[]; permissions: ReadonlySet<string> }
  | { kind: 'service'; serviceAccountId: string; clientId: string; claims: ClientClaims; permissions: ReadonlySet<string> };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface PrincipalGuardDeps {
  verify: (token: string) => Promise<VerifiedToken>;
  /** The full check of a user's token (session live, user active). */
  authenticateUser: (token: string) => Promise<{ claims: AccessClaims; user: UserRow }>;
  /** The check of a service account's token; its permissions within the token's scope. */
  authenticateService: (claims: ClientClaims) => Promise<{ account: { id: string; client_id: string }; permissions: string[] }>;
  accessOf: (userId: string) => Promise<Access>;
  /** Makes the user known to routes written for users (req.auth). */
  assignUser: (req: FastifyRequest, auth: { claims: AccessClaims; user: UserRow }) => void;
}

export function createPrincipalGuard(deps: PrincipalGuardDeps) {
  async function authenticate(req: FastifyRequest): Promise<Principal> {
    if (req.principal) return req.principal;
    const token = bearerToken(req);
    if (!token) throw new AppError('unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
    const verified = await deps.verify(token);
    let principal: Principal;
    if (verified.kind === 'user') {
      const a = await deps.authenticateUser(token);
      deps.assignUser(req, a);
      const access = await deps.accessOf(a.user.id);
      principal = { kind: 'user', user: a.user, claims: a.claims, roles: access.roles, permissions: new Set(access.permissions) };
    } else {
      const s = await deps.authenticateService(verified.claims);
      principal = { kind: 'service', serviceAccountId: s.account.id, clientId: s.account.client_id, claims: verified.claims, permissions: new Set(s.permissions) };
    }
    setActor(actorOf(principal));
    req.principal = principal;
    return principal;
  }

  return {
    authenticate,
    /** An onRequest hook: any authenticated caller holding `permission`. */
    require(permission: string) {
      const hook = async (req: FastifyRequest): Promise<void> => {
        const p = await authenticate(req);
        if (!allows(p.permissions, permission)) throw new AppError('forbidden', { details: { permission } });
      };
      // Named on the hook so that the API document can state it (see permissionOf).
      return Object.assign(hook, { permission });
    },
  };
}

export type PrincipalGuard = ReturnType<typeof createPrincipalGuard>;

/** The permission a route's onRequest hooks require, if one of them is a `require` hook. */
export function permissionOf(onRequest: unknown): string | undefined {
  const hooks = Array.isArray(onRequest) ? onRequest : [onRequest];
  for (const h of hooks) if (typeof h === 'function' && typeof (h as { permission?: unknown }).permission === 'string') return (h as { permission: string }).permission;
  return undefined;
}

export function actorOf(p: Principal): Actor {
  return p.kind === 'user' ? { type: 'user', id: p.user.id } : { type: 'service_account', id: p.serviceAccountId };
}

/** The caller of a change, for the no-escalation and last-admin rules. */
export function callerOf(p: Principal): Caller {
  return { actor: actorOf(p), permissions: p.permissions, ...(p.kind === 'user' ? { userId: p.user.id } : {}) };
}

/** The caller of a request that passed a `require` hook (for the no-escalation checks). */
export function callerOfRequest(req: FastifyRequest): Caller {
  if (!req.principal) throw new AppError('unauthorized');
  return callerOf(req.principal);
}
