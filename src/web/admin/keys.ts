// /admin/ui/keys: the signing keys of access tokens (kid, algorithm, state, dates) and
// their rotation, confirmed first. No key material is ever sent to the page.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { html } from '../html.ts';
import { sendAdminPage } from './shell.ts';

export function keysPage(app: FastifyInstance, ctx: WebContext): void {
  app.get('/admin/ui/keys', { schema: { hide: true } }, async (req, reply) => sendAdminPage(ctx, req, reply, {
    section: 'keys', script: 'admin-keys', messages: ['admin.keys.'],
    body: (t) => html`
<p class="status info" id="secret-mode" hidden>${t('admin.keys.secretMode')}</p>
<section aria-labelledby="keys-title">
  <h2 id="keys-title" class="visually-hidden" tabindex="-1">${t('admin.keys.list')}</h2>
  <p class="muted">${t('admin.keys.explain')} <a href="/.well-known/jwks.json">/.well-known/jwks.json</a></p>
  <div class="actions"><button type="button" id="rotate">${t('admin.keys.rotate')}</button></div>
  <p class="status" id="keys-status" role="status" hidden></p>
  <div id="keys"></div>
</section>`,
  }));
}
