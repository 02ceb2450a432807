// The caller's own sessions under /auth/sessions: where am I signed in, and sign that
// device out. Another user's session is indistinguishable from a missing one (404).
import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { clearRefreshCookie, errorResponses as errors, type CookieSettings } from '../../core/http/index.ts';
import type { AuditBatchRecorder } from '../audit/index.ts';
import type { SessionRow } from './sessions.table.ts';
import type { SessionsService } from './sessions.service.ts';

export interface SessionsRoutesOptions {
  sessions: SessionsService;
  /** Adds an audit entry to the batch that ends the sessions. */
  audit: AuditBatchRecorder;
  guard: preHandlerAsyncHookHandler;
  cookies: CookieSettings;
}

const nullableString = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

export const sessionSchema = {
  type: 'object',
  required: ['id', 'current', 'client', 'ip', 'userAgent', 'browser', 'os', 'deviceType', 'location', 'amr', 'createdAt', 'lastUsedAt', 'expiresAt', 'idleExpiresAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    current: { type: 'boolean', description: 'The session of the token making this request' },
    client: { type: 'string', description: '`web`, `native`, or what the client declared at sign-in' },
    ip: nullableString,
    userAgent: nullableString,
    browser: { ...nullableString, description: 'Browser name and major version, parsed from the user agent' },
    os: { ...nullableString, description: 'Operating system and version' },
    deviceType: { ...nullableString, description: 'desktop, mobile, tablet, smarttv, wearable, console, embedded' },
    location: {
      type: ['object', 'null'],
      description: 'Coarse location of the sign-in address (AUTH_GEOIP_DB), or null',
      properties: { country: nullableString, countryName: nullableString, region: nullableString, city: nullableString },
    },
    amr: { type: 'array', items: { type: 'string' }, description: 'Authentication methods used (RFC 8176), e.g. `pwd`' },
    createdAt: dateTime,
    lastUsedAt: dateTime,
    expiresAt: { ...dateTime, description: 'Absolute end of the session' },
    idleExpiresAt: { type: ['string', 'null'], format: 'date-time', description: 'When the session ends if unused (AUTH_SESSION_IDLE_TIMEOUT), or null' },
  },
} as const;

const bearer = [{ bearerAuth: [] }];
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

export const sessionsRoutes: FastifyPluginAsync<SessionsRoutesOptions> = async (app, { sessions, audit, guard, cookies }) => {
  const caller = (req: FastifyRequest): NonNullable<FastifyRequest["auth"]> => {
    if (!req.auth) throw new AppError('unauthorized');
    return req.auth;
  };
  const view = (s: SessionRow, currentId: string) => ({
    id: s.id, current: s.id === currentId, client: s.client, ip: s.ip, userAgent: s.user_agent,
    browser: s.browser, os: s.os, deviceType: s.device_type, location: s.location ?? null, amr: s.amr,
    createdAt: s.created_at.toISOString(), lastUsedAt: s.last_used_at.toISOString(), expiresAt: s.expires_at.toISOString(),
    idleExpiresAt: sessions.idleExpiresAt(s)?.toISOString() ?? null,
  });

  app.get('/sessions', {
    schema: {
      tags: ['sessions'], summary: "The caller's active sessions, newest first", security: bearer,
      response: { 200: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: sessionSchema } } }, ...errors(401, 403) },
    },
    preHandler: guard,
  }, async (req) => {
    const { claims } = caller(req);
    return { sessions: (await sessions.list(claims.sub)).map((s) => view(s, claims.sid)) };
  });

  app.get('/sessions/current', {
    schema: { tags: ['sessions'], summary: 'The session of the token making this request', security: bearer, response: { 200: sessionSchema, ...errors(401, 403) } },
    preHandler: guard,
  }, async (req) => {
    const { claims } = caller(req);
    const current = (await sessions.list(claims.sub)).find((s) => s.id === claims.sid);
    if (!current) throw new AppError('session_revoked');
    return view(current, claims.sid);
  });

  app.delete<{ Params: { id: string } }>('/sessions/:id', {
    schema: {
      tags: ['sessions'], summary: 'Sign out one of your sessions (its refresh tokens stop working at once)', security: bearer, params: idParam,
      response: { 200: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } }, ...errors(400, 401, 403, 404) },
    },
    preHandler: guard,
  }, async (req, reply) => {
    const { claims } = caller(req);
    const revoked = await sessions.revokeOwn(claims.sub, req.params.id, 'revoked_by_user',
      (batch) => audit(batch, { type: 'session.revoked', subject: claims.sub, details: { sessionIds: [req.params.id], current: req.params.id === claims.sid } }));
    if (!revoked) throw new AppError('not_found', { message: 'No such session' });
    if (req.params.id === claims.sid) clearRefreshCookie(reply, cookies);
    return { message: 'Session revoked' };
  });

  app.delete('/sessions', {
    schema: {
      tags: ['sessions'], summary: 'Sign out everywhere else: every session but the current one', security: bearer,
      response: { 200: { type: 'object', required: ['message', 'revoked'], properties: { message: { type: 'string' }, revoked: { type: 'integer' } } }, ...errors(401, 403) },
    },
    preHandler: guard,
  }, async (req) => {
    const { claims } = caller(req);
    const revoked = await sessions.revokeAllForUser(claims.sub, 'signed_out_elsewhere', claims.sid,
      (batch, ids) => audit(batch, { type: 'session.revoked', subject: claims.sub, details: { sessionIds: ids, others: true } }));
    return { message: 'Other sessions revoked', revoked };
  });
};
