import type { FastifyPluginAsync } from 'fastify';
import type { TokensService } from './tokens.service.ts';

const jwkSchema = { type: 'object', additionalProperties: true, properties: { kid: { type: 'string' }, kty: { type: 'string' }, alg: { type: 'string' }, use: { type: 'string' } } };

export const tokensRoutes: FastifyPluginAsync<{ tokens: TokensService }> = async (app, { tokens }) => {
  app.get('/.well-known/jwks.json', {
    schema: {
      tags: ['tokens'],
      summary: 'Public keys that verify access tokens (JWKS)',
      response: { 200: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: jwkSchema } } } },
    },
  }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return tokens.jwks();
  });
};
