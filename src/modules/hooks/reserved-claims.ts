// The rule by which a hook's claims join an access token: a hook adds, it never replaces
// what Tessera vouches for. Identity, session, lifetime, audience and authorization
// claims are reserved; inside the Hasura namespace, the user id and roles are too, while
// other `x-hasura-*` session variables may be added beside them.
import { HASURA_NAMESPACE, type AccessClaims } from '../tokens/index.ts';

/**
 * Top-level claims a hook can never set: registered JWT claims, Tessera's own, those that
 * tell a user's token from a service account's (`client_id`, `scope`), and the OIDC /
 * RFC 8693 claims that speak about how or for whom the token was issued.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sid', 'email', 'username', 'role', 'roles', 'permissions', 'amr', 'aal', 'client_id', 'scope',
  'azp', 'auth_time', 'acr', 'cnf', 'act', 'may_act',
  // Not a claim: assigning it would replace the object's prototype.
  '__proto__',
]);

/** Keys of the Hasura namespace that Tessera sets; compared without regard to case, as Hasura does. */
export const RESERVED_HASURA_CLAIMS: ReadonlySet<string> = new Set(['x-hasura-user-id', 'x-hasura-default-role', 'x-hasura-allowed-roles']);

/**
 * The active organization's claims: reserved when Tessera set them (the session has an
 * active organization), so that a hook never replaces them; a hook may still add its own
 * organization claims to tokens without one (deployments that kept tenants in a hook).
 */
const ORGANIZATION_CLAIMS: ReadonlySet<string> = new Set(['org_id', 'org_slug', 'org_role', 'org_permissions']);
const ORGANIZATION_HASURA_CLAIMS: ReadonlySet<string> = new Set(['x-hasura-org-id', 'x-hasura-org-role']);

/** Largest JSON size of the claims a hook may add (after reserved ones are dropped). */
export const MAX_ADDED_CLAIMS_BYTES = 4096;

export interface MergedClaims {
  claims: AccessClaims;
  /** Names of the claims that were added (Hasura keys as `<namespace>#<key>`). */
  added: string[];
  /** Names of the claims that were refused: reserved, or not `x-hasura-*` inside the namespace. */
  dropped: string[];
  /** JSON size of what was added. */
  bytes: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Adds a hook's claims to a token's, dropping reserved ones. Top-level names are compared
 * exactly (JWT claim names are case-sensitive). The Hasura namespace must be an object; its
 * keys must start with `x-hasura-` and are merged into Tessera's namespace object.
 * @example mergeClaims(claims, { tenant: 'acme', sub: 'x' }) // adds tenant, drops sub
 */
export function mergeClaims(base: AccessClaims, extra: Record<string, unknown>): MergedClaims {
  const claims: AccessClaims = { ...base };
  const addedTop: Record<string, unknown> = {};
  const added: string[] = [];
  const dropped: string[] = [];
  const withOrganization = typeof base.org_id === 'string';
  for (const [name, value] of Object.entries(extra)) {
    if (RESERVED_CLAIMS.has(name) || (withOrganization && ORGANIZATION_CLAIMS.has(name))) {
      dropped.push(name);
      continue;
    }
    if (name !== HASURA_NAMESPACE) {
      claims[name] = value;
      addedTop[name] = value;
      added.push(name);
      continue;
    }
    if (!isObject(value)) {
      dropped.push(name);
      continue;
    }
    const namespace: Record<string, unknown> = isObject(base[HASURA_NAMESPACE]) ? { ...(base[HASURA_NAMESPACE] as Record<string, unknown>) } : {};
    const addedHasura: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const lower = key.toLowerCase();
      if (!lower.startsWith('x-hasura-') || RESERVED_HASURA_CLAIMS.has(lower) || (withOrganization && ORGANIZATION_HASURA_CLAIMS.has(lower))) {
        dropped.push(`${HASURA_NAMESPACE}#${key}`);
        continue;
      }
      namespace[key] = v;
      addedHasura[key] = v;
      added.push(`${HASURA_NAMESPACE}#${key}`);
    }
    if (Object.keys(addedHasura).length) {
      claims[HASURA_NAMESPACE] = namespace;
      addedTop[HASURA_NAMESPACE] = addedHasura;
    }
  }
  return { claims, added, dropped, bytes: Object.keys(addedTop).length ? Buffer.byteLength(JSON.stringify(addedTop)) : 0 };
}
