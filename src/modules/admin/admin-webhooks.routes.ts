// /admin/webhooks: endpoints, their signing secrets and deliveries (webhooks:read to
// look, webhooks:manage to change, rotate and replay).
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, optionalBody } from '../../core/http/index.ts';
import type { PrincipalGuard } from '../rbac/index.ts';
import type { DeliveryStatus, WebhooksService } from '../webhooks/index.ts';
import { idParams, message, UUID } from './admin.schemas.ts';

export interface AdminWebhooksRoutesOptions {
  webhooks: WebhooksService;
  principals: PrincipalGuard;
}

const str = { type: 'string' } as const;
const date = { type: 'string', format: 'date-time' } as const;
const endpointSchema = {
  type: 'object',
  required: ['id', 'url', 'description', 'eventTypes', 'active', 'previousSecretExpiresAt', 'pending', 'dead', 'createdAt', 'updatedAt'],
  properties: {
    id: str, url: str, description: str, eventTypes: { type: 'array', items: str, description: 'Empty: every event type' }, active: { type: 'boolean' },
    previousSecretExpiresAt: { type: ['string', 'null'], format: 'date-time', description: 'After a rotation: until when the old secret also signs' },
    pending: { type: 'integer', description: 'Deliveries still being attempted' }, dead: { type: 'integer', description: 'Dead-lettered deliveries' },
    createdAt: date, updatedAt: date,
  },
} as const;
const deliverySchema = {
  type: 'object',
  required: ['id', 'eventId', 'eventType', 'status', 'attempts', 'nextAttemptAt', 'lastStatusCode', 'lastError', 'replayOf', 'createdAt', 'completedAt', 'attemptLog'],
  properties: {
    id: str, eventId: { type: 'string', description: 'The envelope id, also sent as `webhook-id`' }, eventType: str,
    status: { type: 'string', enum: ['pending', 'succeeded', 'dead'] }, attempts: { type: 'integer' },
    nextAttemptAt: { type: ['string', 'null'], format: 'date-time' }, lastStatusCode: { type: ['integer', 'null'] }, lastError: { type: ['string', 'null'] },
    replayOf: { type: ['string', 'null'], description: 'The delivery this one replays' }, createdAt: date, completedAt: { type: ['string', 'null'], format: 'date-time' },
    attemptLog: {
      type: 'array',
      items: {
        type: 'object', required: ['at', 'durationMs', 'statusCode', 'error', 'succeeded'],
        properties: { at: date, durationMs: { type: 'integer' }, statusCode: { type: ['integer', 'null'] }, error: { type: ['string', 'null'] }, succeeded: { type: 'boolean' } },
      },
    },
    payload: { type: 'object', additionalProperties: true, description: 'The event envelope sent (single-delivery view only)' },
  },
} as const;
const withSecret = {
  type: 'object', required: ['endpoint', 'secret'],
  properties: { endpoint: endpointSchema, secret: { type: 'string', description: 'The signing secret (`whsec_...`): shown in this answer only' } },
} as const;
const url = { type: 'string', minLength: 1, maxLength: 2000 } as const;
const eventTypes = { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 100 }, description: 'Event types, `<entity>.*` or `*`; empty or absent: every type' } as const;
const description = { type: 'string', maxLength: 500 } as const;
const secret = { type: 'string', pattern: '^whsec_[A-Za-z0-9+/]{32,}={0,2}$', maxLength: 200, description: 'Your own secret (`whsec_` + base64 of at least 24 bytes); generated when absent' } as const;
const deliveryParams = { type: 'object', required: ['id', 'deliveryId'], properties: { id: { type: 'string', pattern: UUID }, deliveryId: { type: 'string', pattern: UUID } } } as const;

export const adminWebhooksRoutes: FastifyPluginAsync<AdminWebhooksRoutesOptions> = async (app, { webhooks, principals }) => {
  const read = { onRequest: principals.require('webhooks:read') };
  const manage = { onRequest: principals.require('webhooks:manage') };
  const tags = ['admin'];

  app.get('/webhooks', {
    ...read,
    schema: { tags, summary: 'Every webhook endpoint', response: { 200: { type: 'object', required: ['webhooks'], properties: { webhooks: { type: 'array', items: endpointSchema } } }, ...errorResponses(401, 403) } },
  }, async () => ({ webhooks: await webhooks.list() }));

  app.post<{ Body: { url: string; description?: string; eventTypes?: string[]; active?: boolean; secret?: string } }>('/webhooks', {
    ...manage,
    schema: {
      tags, summary: 'Register an endpoint; its signing secret is in this answer only',
      body: { type: 'object', required: ['url'], additionalProperties: false, properties: { url, description, eventTypes, active: { type: 'boolean' }, secret } },
      response: { 201: withSecret, ...errorResponses(400, 401, 403) },
    },
  }, async (req, reply) => reply.status(201).send(await webhooks.create(req.body)));

  app.get<{ Params: { id: string } }>('/webhooks/:id', {
    ...read,
    schema: { tags, summary: 'One webhook endpoint', params: idParams, response: { 200: endpointSchema, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => webhooks.get(req.params.id));

  app.patch<{ Params: { id: string }; Body: { url?: string; description?: string; eventTypes?: string[]; active?: boolean } }>('/webhooks/:id', {
    ...manage,
    schema: {
      tags, summary: 'Change URL, event types (replaced), description or active flag; an inactive endpoint gets no new deliveries and its pending ones wait', params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { url, description, eventTypes, active: { type: 'boolean' } } },
      response: { 200: endpointSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => webhooks.update(req.params.id, req.body));

  app.delete<{ Params: { id: string } }>('/webhooks/:id', {
    ...manage,
    schema: { tags, summary: 'Delete an endpoint and its deliveries', params: idParams, response: { 200: message, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => {
    await webhooks.remove(req.params.id);
    return { message: 'Webhook endpoint deleted' };
  });

  app.post<{ Params: { id: string }; Body: { secret?: string } }>('/webhooks/:id/secret', {
    ...manage,
    preValidation: optionalBody,
    schema: {
      tags, summary: 'Rotate the signing secret: for 24 hours deliveries carry signatures by the old and the new secret', params: idParams,
      body: { type: 'object', additionalProperties: false, properties: { secret } },
      response: { 200: withSecret, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => webhooks.rotateSecret(req.params.id, req.body.secret));

  app.get<{ Params: { id: string }; Querystring: { status?: DeliveryStatus; eventType?: string; cursor?: string; limit?: number } }>('/webhooks/:id/deliveries', {
    ...read,
    schema: {
      tags, summary: 'Deliveries of an endpoint, newest first, each with its attempts', params: idParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          status: { type: 'string', enum: ['pending', 'succeeded', 'dead'] }, eventType: { type: 'string', maxLength: 100 },
          cursor: { type: 'string', maxLength: 20, description: '`nextCursor` of the previous page' }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
        },
      },
      response: { 200: { type: 'object', required: ['deliveries', 'nextCursor'], properties: { deliveries: { type: 'array', items: deliverySchema }, nextCursor: { type: ['string', 'null'] } } }, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => webhooks.deliveries(req.params.id, req.query));

  app.get<{ Params: { id: string; deliveryId: string } }>('/webhooks/:id/deliveries/:deliveryId', {
    ...read,
    schema: { tags, summary: 'One delivery with its attempts and the envelope sent', params: deliveryParams, response: { 200: deliverySchema, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => webhooks.delivery(req.params.id, req.params.deliveryId));

  app.post<{ Params: { id: string; deliveryId: string } }>('/webhooks/:id/deliveries/:deliveryId/replay', {
    ...manage,
    preValidation: optionalBody,
    schema: {
      tags, summary: 'Send a succeeded or dead delivery again, as a new delivery (same `webhook-id`, new retry window)', params: deliveryParams,
      body: { type: 'object', additionalProperties: false, properties: {} },
      response: { 201: deliverySchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (req, reply) => reply.status(201).send(await webhooks.replay(req.params.id, req.params.deliveryId)));
};
