// The admin dashboard under /admin/ui: page shells rendered here, in the request's
// language; their data comes from the admin API, called by the page scripts
// (assets/pages/admin-*.js) with the signed-in administrator's token. A caller without
// the permission a page needs sees the "not allowed" message the page script shows.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { keysPage } from './keys.ts';
import { overviewPage } from './overview.ts';
import { providersPage } from './providers.ts';
import { rolesPage } from './roles.ts';
import { organizationsPage } from './organizations.ts';
import { serviceAccountsPage } from './service-accounts.ts';
import { oidcClientsPage } from './oidc-clients.ts';
import { userPages } from './users.ts';
import { webhooksPage } from './webhooks.ts';

export async function adminPages(app: FastifyInstance, ctx: WebContext): Promise<void> {
  overviewPage(app, ctx);
  userPages(app, ctx);
  rolesPage(app, ctx);
  organizationsPage(app, ctx);
  serviceAccountsPage(app, ctx);
  oidcClientsPage(app, ctx);
  webhooksPage(app, ctx);
  providersPage(app, ctx);
  keysPage(app, ctx);
}
