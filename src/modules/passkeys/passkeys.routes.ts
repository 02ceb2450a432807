// Passkeys under /auth/passkeys: the two WebAuthn ceremonies, and the caller's passkeys.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { errorResponses as errors, rateLimitHook, sessionContext, signedInBody, type CookieSettings } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { PasskeysService } from './passkeys.service.ts';

export interface PasskeysRoutesOptions {
  passkeys: PasskeysService;
  limiter: RateLimiter;
  cookies: CookieSettings;
  guard: (req: FastifyRequest) => Promise<void>;
  stepUp: (sessionId: string) => Promise<void>;
}

const tags = ['passkeys'];
const bearer = [{ bearerAuth: [] }];
const anyObject = { type: 'object', additionalProperties: true } as const;
const credential = { type: 'object', required: ['id', 'response', 'type'], additionalProperties: true, properties: { id: { type: 'string', maxLength: 1024 }, type: { type: 'string' }, response: anyObject }, description: 'The PublicKeyCredential as JSON (what @simplewebauthn/browser returns)' } as const;
const passkey = {
  type: 'object', required: ['id', 'name', 'createdAt', 'lastUsedAt'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, createdAt: { type: 'string' }, lastUsedAt: { type: ['string', 'null'] }, deviceType: { type: ['string', 'null'] }, backedUp: { type: 'boolean' }, transports: { type: 'array', items: { type: 'string' } } },
} as const;
const user = { type: 'object', required: ['id', 'username', 'email', 'role'], properties: { id: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } } } as const;
const clientKind = { type: 'string', pattern: '^[a-z0-9_-]{1,32}$' } as const;

export const passkeysRoutes: FastifyPluginAsync<PasskeysRoutesOptions> = async (app, { passkeys, limiter, cookies, guard, stepUp }) => {
  const limit = rateLimitHook(limiter, 'passkeys');

  app.post('/register/options', {
    schema: { tags, summary: 'Start registering a passkey (WebAuthn creation options)', security: bearer, response: { 200: anyObject, ...errors(401, 403, 429) } },
    onRequest: [limit, guard],
  }, async (req) => passkeys.registrationOptions(req.auth!.user));

  app.post<{ Body: { response: RegistrationResponseJSON; name?: string } }>('/register/verify', {
    schema: {
      tags, summary: 'Finish registering a passkey', security: bearer,
      body: { type: 'object', required: ['response'], additionalProperties: false, properties: { response: credential, name: { type: 'string', minLength: 1, maxLength: 100 } } },
      response: { 201: passkey, ...errors(400, 401, 403, 415, 429) },
    },
    onRequest: [limit, guard],
  }, async (req, reply) => reply.status(201).send(await passkeys.verifyRegistration(req.auth!.user, req.body.response, req.body.name)));

  app.post<{ Body: { email?: string; username?: string; verification_id?: string } | undefined }>('/login/options', {
    schema: {
      tags, summary: 'Start signing in with a passkey (WebAuthn request options)',
      description: 'No body: discoverable credentials (no username typed). `email` or `username`: that account\'s credentials. `verification_id`: the second step of a sign-in that answered `mfa_required`.',
      body: { type: 'object', additionalProperties: false, properties: { email: { type: 'string', maxLength: 254 }, username: { type: 'string', maxLength: 50 }, verification_id: { type: 'string', minLength: 1, maxLength: 64 } } },
      response: { 200: anyObject, ...errors(400, 415, 429) },
    },
    onRequest: limit,
    preValidation: async (req) => { req.body ??= {}; },
  }, async (req) => passkeys.loginOptions({ email: req.body?.email, username: req.body?.username, verificationId: req.body?.verification_id }));

  app.post<{ Body: { response: AuthenticationResponseJSON; client?: string } }>('/login/verify', {
    schema: {
      tags, summary: 'Sign in with a passkey (or complete the second step)',
      body: { type: 'object', required: ['response'], additionalProperties: false, properties: { response: credential, client: clientKind } },
      response: { 200: { type: 'object', required: ['accessToken', 'user'], properties: { accessToken: { type: 'string' }, refreshToken: { type: 'string' }, user } }, ...errors(400, 401, 403, 415, 429, 503) },
    },
    onRequest: limit,
  }, async (req, reply) => {
    const r = await passkeys.verifyLogin(req.body.response, sessionContext(req, req.body.client ?? 'web'));
    return signedInBody(reply, r.client, r.signedIn, cookies);
  });

  app.get('/', { schema: { tags, summary: "The caller's passkeys", security: bearer, response: { 200: { type: 'object', required: ['passkeys'], properties: { passkeys: { type: 'array', items: passkey } } }, ...errors(401, 403) } }, onRequest: guard },
    async (req) => ({ passkeys: await passkeys.list(req.auth!.user.id) }));

  app.patch<{ Params: { id: string }; Body: { name: string } }>('/:id', {
    schema: {
      tags, summary: 'Rename a passkey', security: bearer,
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 1024 } } },
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } },
      response: { 200: passkey, ...errors(400, 401, 403, 404, 415) },
    },
    onRequest: guard,
  }, async (req) => passkeys.rename(req.auth!.user.id, req.params.id, req.body.name));

  app.delete<{ Params: { id: string } }>('/:id', {
    schema: {
      tags, summary: 'Remove a passkey (needs a recent sign-in; never the last way to sign in)', security: bearer,
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 1024 } } },
      response: { 200: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } }, ...errors(401, 403, 404, 409) },
    },
    onRequest: guard,
  }, async (req) => {
    await stepUp(req.auth!.claims.sid);
    await passkeys.remove(req.auth!.user, req.params.id);
    return { message: 'Passkey removed' };
  });
};
