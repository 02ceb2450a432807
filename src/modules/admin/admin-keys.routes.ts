// /admin/keys: the signing keys of access tokens (keys:read) and their rotation
// (keys:manage), as `tessera keys list` and `tessera keys rotate` do. Only public facts
// leave: kid, algorithm, state and dates, never key material.
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, optionalBody } from '../../core/http/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { PrincipalGuard } from '../rbac/index.ts';
import type { KeyStore } from '../tokens/index.ts';

export interface AdminKeysRoutesOptions {
  keys: Pick<KeyStore, 'list' | 'rotate' | 'usesSecret'>;
  audit: AuditRecorder;
  principals: PrincipalGuard;
}

const date = { type: 'string', format: 'date-time' } as const;
const keySchema = {
  type: 'object', required: ['kid', 'alg', 'status', 'createdAt', 'retiredAt', 'publishedUntil'],
  properties: {
    kid: { type: 'string', description: 'RFC 7638 thumbprint of the public key' }, alg: { type: 'string' },
    status: { type: 'string', enum: ['active', 'retired', 'expired'], description: '`active` signs; `retired` still verifies and is published until `publishedUntil`; `expired` is deleted at the next rotation' },
    createdAt: date, retiredAt: { type: ['string', 'null'], format: 'date-time' }, publishedUntil: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const adminKeysRoutes: FastifyPluginAsync<AdminKeysRoutesOptions> = async (app, { keys, audit, principals }) => {
  const tags = ['admin'];

  app.get('/keys', {
    onRequest: principals.require('keys:read'),
    schema: {
      tags, summary: 'The stored signing keys, newest first (no key material)',
      response: {
        200: {
          type: 'object', required: ['keys', 'usesSecret'],
          properties: { keys: { type: 'array', items: keySchema }, usesSecret: { type: 'boolean', description: 'Tokens are signed with AUTH_JWT_SECRET (HS256): stored keys are not used and nothing rotates' } },
        },
        ...errorResponses(401, 403),
      },
    },
  }, async () => ({ keys: await keys.list(), usesSecret: keys.usesSecret() }));

  app.post('/keys/rotate', {
    onRequest: principals.require('keys:manage'),
    preValidation: optionalBody,
    schema: {
      tags, summary: 'Make a new key the signing key; the previous ones stay published until every token they signed has expired',
      description: 'Every instance switches within seconds (the invalidation bus, and a reload each minute). Keys whose tokens have all expired are deleted. Writes a `key.rotated` audit entry.',
      body: { type: 'object', additionalProperties: false, properties: {} },
      response: {
        200: {
          type: 'object', required: ['active', 'retired', 'deleted'],
          properties: { active: keySchema, retired: { type: 'array', items: keySchema }, deleted: { type: 'array', items: { type: 'string' }, description: 'kids of expired keys removed' } },
        },
        ...errorResponses(400, 401, 403, 409),
      },
    },
  }, async () => keys.rotate(async (trx, r) => {
    await audit(trx, { type: 'key.rotated', details: { kid: r.active.kid, alg: r.active.alg, retired: r.retired.map((k) => k.kid), deleted: r.deleted } });
  }));
};
