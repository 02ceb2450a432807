import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import { createOperationIdHook, declareSecurity, openapiTransform, operationIdOf } from './openapi.ts';

type Doc = { paths: Record<string, Record<string, { operationId?: string; security?: unknown }>> };

/** A bare Fastify with the swagger plugin, the transform and the operationId hook, as app.ts sets them up. */
async function documented(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifySwagger, { transform: openapiTransform, stripBasePath: false, openapi: { openapi: '3.1.0', info: { title: 't', version: '1' }, components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } } } });
  app.addHook('onRoute', createOperationIdHook());
  return app;
}

describe('operationIdOf', () => {
  test('the method, then each segment in PascalCase, parameters as By<Name>', () => {
    assert.equal(operationIdOf('GET', '/admin/users/:id/roles'), 'getAdminUsersByIdRoles');
    assert.equal(operationIdOf('DELETE', '/admin/users/:id/sessions/:sessionId'), 'deleteAdminUsersByIdSessionsBySessionId');
    assert.equal(operationIdOf('GET', '/.well-known/jwks.json'), 'getWellKnownJwksJson');
    assert.equal(operationIdOf('POST', '/auth/password-policy'), 'postAuthPasswordPolicy');
    assert.equal(operationIdOf('GET', '/files/:name(^[a-z]+$)'), 'getFilesByName');
    assert.equal(operationIdOf('GET', '/'), 'get');
  });
});

describe('createOperationIdHook', () => {
  test('two routes that derive the same id stop the start-up, naming both', async () => {
    const app = await documented();
    app.get('/a-b', async () => 'x');
    assert.throws(() => app.get('/a/b', async () => 'y'), (err: Error) => /operationId "getAB" of GET \/a\/b is already used by GET \/a-b/.test(err.message));
    await app.close();
  });

  test('an explicit operationId resolves it, and may not itself collide', async () => {
    const app = await documented();
    app.get('/a-b', async () => 'x');
    app.get('/a/b', { schema: { operationId: 'getNestedAB' } }, async () => 'y');
    assert.throws(() => app.post('/c', { schema: { operationId: 'getNestedAB' } }, async () => 'z'), /already used by GET \/a\/b/);
    await app.ready();
    const doc = app.swagger() as unknown as Doc;
    assert.equal(doc.paths['/a-b']?.get?.operationId, 'getAB');
    assert.equal(doc.paths['/a/b']?.get?.operationId, 'getNestedAB');
    await app.close();
  });

  test('hidden routes get none and take none', async () => {
    const app = await documented();
    app.get('/a-b', { schema: { hide: true } }, async () => 'x');
    app.get('/a/b', async () => 'y');
    await app.ready();
    assert.equal((app.swagger() as unknown as Doc).paths['/a-b'], undefined);
    await app.close();
  });
});

describe('openapiTransform', () => {
  test('security from the guard hook, public without one, the schema\'s own when stated; no trailing slash', async () => {
    const app = await documented();
    const guard = declareSecurity(async () => {}, [{ bearerAuth: [] }]);
    const limit = async () => {};
    const require = Object.assign(async () => {}, { permission: 'users:read' });
    await app.register(async (scope) => {
      scope.get('/', { onRequest: guard }, async () => 'list');
      scope.get('/guarded', { onRequest: [limit, guard] }, async () => 'a');
      scope.get('/handled', { preHandler: guard }, async () => 'b');
      scope.get('/open', { onRequest: limit }, async () => 'c');
      scope.get('/admin', { onRequest: require }, async () => 'd');
      scope.get('/optional', { onRequest: guard, schema: { security: [{}, { bearerAuth: [] }] } }, async () => 'e');
    }, { prefix: '/things' });
    await app.ready();
    const paths = (app.swagger() as unknown as Doc).paths;
    assert.deepEqual(paths['/things']?.get?.security, [{ bearerAuth: [] }]);
    assert.equal(paths['/things/'], undefined);
    assert.equal(paths['/things']?.get?.operationId, 'getThings');
    assert.deepEqual(paths['/things/guarded']?.get?.security, [{ bearerAuth: [] }]);
    assert.deepEqual(paths['/things/handled']?.get?.security, [{ bearerAuth: [] }]);
    assert.deepEqual(paths['/things/open']?.get?.security, []);
    assert.deepEqual(paths['/things/admin']?.get?.security, [{ bearerAuth: ['users:read'] }]);
    assert.deepEqual(paths['/things/optional']?.get?.security, [{}, { bearerAuth: [] }]);
    // The real routes still answer at both spellings.
    assert.equal((await app.inject({ method: 'GET', url: '/things/' })).body, 'list');
    assert.equal((await app.inject({ method: 'GET', url: '/things' })).body, 'list');
    await app.close();
  });
});
