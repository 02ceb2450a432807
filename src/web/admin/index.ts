// The admin dashboard under /admin/ui: page shells rendered here; their data comes from
// the admin API, called by the page scripts with the signed-in administrator's token.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';

export async function adminPages(_app: FastifyInstance, _ctx: WebContext): Promise<void> {
}
