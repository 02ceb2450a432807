// GET /admin/stats: the dashboard's overview figures over the last N days (audit:read:
// they are counts over the audit log, plus counts of users, sessions and factors).
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../../core/http/index.ts';
import type { PrincipalGuard } from '../rbac/index.ts';
import { STATS_DAYS, type AdminStatsService } from './admin-stats.service.ts';

export interface AdminStatsRoutesOptions {
  stats: AdminStatsService;
  principals: PrincipalGuard;
}

const int = { type: 'integer' } as const;
const day = { type: 'string', format: 'date', description: 'A UTC calendar day (YYYY-MM-DD)' } as const;
const statsSchema = {
  type: 'object',
  required: ['days', 'from', 'to', 'generatedAt', 'signIns', 'newUsers', 'sessions', 'users', 'mfa'],
  properties: {
    days: int, from: { ...day, description: 'First day of the window' }, to: { ...day, description: 'Last day of the window (today, UTC)' },
    generatedAt: { type: 'string', format: 'date-time' },
    signIns: {
      type: 'object', required: ['daily', 'succeeded', 'failed', 'failureReasons'],
      properties: {
        daily: {
          type: 'array', description: 'One entry per day of the window, oldest first (zeros included)',
          items: { type: 'object', required: ['date', 'succeeded', 'failed'], properties: { date: day, succeeded: int, failed: int } },
        },
        succeeded: { ...int, description: '`user.login_succeeded` entries of the window' },
        failed: { ...int, description: '`user.login_failed` entries of the window' },
        failureReasons: {
          type: 'array', description: 'The ten most frequent reasons of failed sign-ins (the `reason` of the audit entries), most frequent first',
          items: { type: 'object', required: ['reason', 'count'], properties: { reason: { type: 'string' }, count: int } },
        },
      },
    },
    newUsers: {
      type: 'object', required: ['daily', 'total'],
      properties: {
        daily: { type: 'array', items: { type: 'object', required: ['date', 'count'], properties: { date: day, count: int } } },
        total: { ...int, description: 'Accounts created in the window that still exist' },
      },
    },
    sessions: {
      type: 'object', required: ['active', 'users'],
      properties: { active: { ...int, description: 'Sessions live now: not revoked, expired or idle' }, users: { ...int, description: 'Users with at least one' } },
    },
    users: { type: 'object', required: ['total', 'active', 'disabled'], properties: { total: int, active: int, disabled: int } },
    mfa: {
      type: 'object', required: ['users', 'enrolled', 'share', 'methods'],
      properties: {
        users: { ...int, description: 'Every account' }, enrolled: { ...int, description: 'Accounts with a verified factor or a passkey' },
        share: { type: 'number', minimum: 0, maximum: 1, description: 'enrolled / users (0 without users), to 4 decimals' },
        methods: {
          type: 'array', description: 'Accounts per method (totp, passkey, email, sms; zeros included)',
          items: { type: 'object', required: ['method', 'users'], properties: { method: { type: 'string' }, users: int } },
        },
      },
    },
  },
} as const;

export const adminStatsRoutes: FastifyPluginAsync<AdminStatsRoutesOptions> = async (app, { stats, principals }) => {
  app.get<{ Querystring: { days?: number } }>('/stats', {
    onRequest: principals.require('audit:read'),
    schema: {
      tags: ['admin'], summary: 'Sign-ins, failures and their reasons, new users per day; live sessions; MFA adoption',
      description: 'Days are UTC calendar days; the window ends today and every day has its entry, zeros included.',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { days: { type: 'integer', minimum: STATS_DAYS.min, maximum: STATS_DAYS.max, default: STATS_DAYS.default, description: 'Days in the window, today included' } },
      },
      response: { 200: statsSchema, ...errorResponses(400, 401, 403) },
    },
  }, async (req) => stats.overview(req.query.days));
};
