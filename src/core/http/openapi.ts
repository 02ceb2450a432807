// What the API document says of each operation without every route repeating it: a
// stable operationId derived from the method and path, and the security requirement
// derived from the route's authenticating hooks (public, `security: []`, when it has none).
// A route's own `schema.operationId` or `schema.security` always wins: routes that check
// credentials inside the handler (optional bearer, client credentials) state theirs.
//
// Generated clients name their functions after operationIds, so a derived id must not
// change unless the path does, and two operations must never share one: a duplicate
// stops the app at start-up, naming both routes.
import type { FastifySchema, RouteOptions } from 'fastify';

/** One OpenAPI security requirement: scheme name to scopes (all must hold). */
export type SecurityRequirement = Record<string, string[]>;

const SECURITY = Symbol.for('tessera.openapi.security');

/**
 * Marks an authenticating hook: a route that runs it (onRequest, preValidation or
 * preHandler) is documented with these requirements unless its schema says otherwise.
 * @example const guard = declareSecurity(createAuthGuard(...), [{ bearerAuth: [] }]);
 */
export function declareSecurity<F extends object>(hook: F, requirements: SecurityRequirement[]): F {
  Object.defineProperty(hook, SECURITY, { value: requirements, enumerable: false });
  return hook;
}

/** The requirements a route's hooks declare (the first marked hook), or undefined. */
export function securityOfHooks(route: Pick<RouteOptions, 'onRequest' | 'preValidation' | 'preHandler'>): SecurityRequirement[] | undefined {
  for (const hooks of [route.onRequest, route.preValidation, route.preHandler]) {
    for (const hook of Array.isArray(hooks) ? hooks : [hooks]) {
      const declared = hook ? (hook as unknown as Record<symbol, unknown>)[SECURITY] : undefined;
      if (declared) return declared as SecurityRequirement[];
      // A principals.require() hook names its permission (see src/modules/rbac/guard.ts).
      const permission = hook ? (hook as { permission?: unknown }).permission : undefined;
      if (typeof permission === 'string') return [{ bearerAuth: [permission] }];
    }
  }
  return undefined;
}

const words = (s: string) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1));

/**
 * The operationId of a method and a Fastify path: the method, then each segment in
 * PascalCase, a parameter as `By<Name>`.
 * @example operationIdOf('GET', '/admin/users/:id/roles') === 'getAdminUsersByIdRoles'
 * @example operationIdOf('GET', '/.well-known/jwks.json') === 'getWellKnownJwksJson'
 */
export function operationIdOf(method: string, url: string): string {
  const parts = url.split('/').filter(Boolean).map((segment) => {
    if (segment.startsWith(':')) return `By${words(segment.slice(1).replace(/\(.*$/, '')).join('')}`;
    if (segment === '*') return 'Wildcard';
    return words(segment).join('');
  });
  return method.toLowerCase() + parts.join('');
}

const isHidden = (schema: FastifySchema | undefined) => Boolean((schema as { hide?: boolean } | undefined)?.hide);

/**
 * An onRoute hook giving each documented route its operationId, and refusing a second
 * route with an id already taken. Add it before any route is registered.
 */
export function createOperationIdHook(): (route: RouteOptions) => void {
  const taken = new Map<string, string>();
  return (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    if (!methods.length || isHidden(route.schema)) return;
    const given = (route.schema as { operationId?: string } | undefined)?.operationId;
    if (methods.length > 1 && !given) throw new Error(`${methods.join(',')} ${route.url}: a route serving several methods needs an explicit schema.operationId, or one route per method`);
    const id = given ?? operationIdOf(methods[0]!, route.url);
    const where = `${methods.join(',')} ${route.url}`;
    const other = taken.get(id);
    if (other !== undefined) throw new Error(`operationId "${id}" of ${where} is already used by ${other}: give one of them an explicit schema.operationId`);
    taken.set(id, where);
    if (!given) route.schema = { ...route.schema, operationId: id } as FastifySchema;
  };
}

/**
 * The swagger `transform`: the security of routes that do not state it (from their
 * hooks, else public), and no trailing slash on a prefix's root route (Fastify serves
 * `/auth/passkeys` and `/auth/passkeys/` alike; the document names the first).
 */
export function openapiTransform({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const path = url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url;
  const given = schema ?? {};
  if (isHidden(given) || (given as { security?: unknown }).security !== undefined) return { schema: given, url: path };
  return { schema: { ...given, security: securityOfHooks(route) ?? [] } as FastifySchema, url: path };
}
