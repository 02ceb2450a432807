// GET /auth/password-policy: the active rules, so that a sign-up form can explain them
// before the user submits.
import type { FastifyPluginAsync } from 'fastify';
import type { PasswordPolicy } from './policy.ts';

const bool = { type: 'boolean' } as const;
const int = { type: 'integer' } as const;

export const passwordPolicyRoutes: FastifyPluginAsync<{ policy: PasswordPolicy }> = async (app, { policy }) => {
  app.get('/password-policy', {
    schema: {
      tags: ['auth'],
      summary: 'The active password rules',
      response: {
        200: {
          type: 'object',
          required: ['minLength', 'maxLength', 'requireUppercase', 'requireLowercase', 'requireNumbers', 'requireSymbols', 'preventCommon', 'preventUserInfo', 'historyCount', 'changeRequiredDays', 'breachCheck', 'commonListSize'],
          properties: {
            minLength: int, maxLength: int, requireUppercase: bool, requireLowercase: bool, requireNumbers: bool, requireSymbols: bool,
            preventCommon: bool, preventUserInfo: bool, historyCount: int, changeRequiredDays: int, breachCheck: bool, commonListSize: int,
          },
        },
      },
    },
  }, async () => policy.describe());
};
