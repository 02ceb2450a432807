// The first administrative action, for users with role `admin`: lifting a sign-in lock.
// The full admin API, guarded by named permissions, grows here.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { errorResponses } from '../../core/http/index.ts';
import type { AuthService } from '../auth/index.ts';
import type { UsersService } from '../users/index.ts';

export interface AdminRoutesOptions {
  auth: Pick<AuthService, 'unlock'>;
  users: UsersService;
  guard: (req: FastifyRequest) => Promise<void>;
}

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, { auth, users, guard }) => {
  const adminOnly = async (req: FastifyRequest) => {
    await guard(req);
    if (req.auth?.user.role !== 'admin') throw new AppError('forbidden');
  };

  app.post<{ Params: { id: string } }>('/users/:id/unlock', {
    onRequest: adminOnly,
    schema: {
      tags: ['admin'],
      summary: "Lift a user's sign-in lock (after repeated failures)",
      security: [{ bearerAuth: [] }],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID } } },
      response: { 200: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } }, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => {
    const user = await users.findById(req.params.id);
    if (!user) throw new AppError('not_found');
    await auth.unlock(user);
    req.log.info({ auth: 'account_unlocked', userId: user.id, by: req.auth?.user.id }, 'sign-in lock lifted by an admin');
    return { message: 'Unlocked' };
  });
};
