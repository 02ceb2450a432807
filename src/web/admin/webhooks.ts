// /admin/ui/webhooks: endpoints (list, add, enable or disable, rotate the signing secret,
// delete) and, for the endpoint named by ?endpoint=<id>, its deliveries with a replay
// button each. The signing secret is shown once.
import type { FastifyInstance } from 'fastify';
import { EVENT_TYPES } from '../../modules/events/index.ts';
import type { WebContext } from '../context.ts';
import { html } from '../html.ts';
import { secretPanel, sendAdminPage } from './shell.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function webhooksPage(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Querystring: { endpoint?: string } }>('/admin/ui/webhooks', { schema: { hide: true } }, async (req, reply) => {
    const endpoint = typeof req.query.endpoint === 'string' && UUID.test(req.query.endpoint) ? req.query.endpoint.toLowerCase() : '';
    return sendAdminPage(ctx, req, reply, {
      section: 'webhooks', script: 'admin-webhooks', messages: ['admin.webhooks.'], data: { endpoint },
      body: (t) => html`
${secretPanel(t, 'webhooks')}
<section aria-labelledby="endpoints-title">
  <h2 id="endpoints-title" tabindex="-1">${t('admin.webhooks.endpoints')}</h2>
  <p class="muted">${t('admin.webhooks.explain')}</p>
  <p class="status" id="endpoints-status" role="status" hidden></p>
  <div id="endpoints"></div>
</section>
<section class="card" id="deliveries-section" aria-labelledby="deliveries-title" hidden>
  <h2 id="deliveries-title" tabindex="-1">${t('admin.webhooks.deliveries')}</h2>
  <p class="muted" id="deliveries-endpoint"></p>
  <div class="actions"><button type="button" class="secondary small" id="deliveries-refresh">${t('admin.webhooks.refresh')}</button></div>
  <p class="status" id="deliveries-status" role="status" hidden></p>
  <div id="deliveries"></div>
  <div class="actions"><button type="button" class="secondary" id="deliveries-more" hidden>${t('admin.webhooks.older')}</button></div>
</section>
<section class="card" aria-labelledby="create-title">
  <h2 id="create-title">${t('admin.webhooks.create.title')}</h2>
  <form id="create-endpoint" class="form-grid">
    <div class="field"><label for="hook-url">${t('admin.webhooks.create.url')}</label>
      <input id="hook-url" name="url" type="url" required maxlength="2000" autocomplete="off" spellcheck="false" placeholder="https://"></div>
    <div class="field"><label for="hook-description">${t('admin.webhooks.create.description')}</label>
      <input id="hook-description" name="description" type="text" maxlength="500" autocomplete="off"></div>
    <fieldset class="full">
      <legend>${t('admin.webhooks.create.events')}</legend>
      <p class="hint" id="events-hint">${t('admin.webhooks.create.eventsHint')}</p>
      <div class="checks">${Object.keys(EVENT_TYPES).map((type, i) => html`<label for="event-${i}"><input type="checkbox" id="event-${i}" name="event-${i}" value="${type}" data-event="${type}" aria-describedby="events-hint"> <code>${type}</code></label>`)}</div>
    </fieldset>
    <div class="field full"><label class="check"><input type="checkbox" name="active" checked> ${t('admin.webhooks.create.active')}</label></div>
    <p class="status full" role="alert" hidden></p>
    <div class="actions full"><button type="submit">${t('admin.webhooks.create.submit')}</button></div>
  </form>
</section>`,
    });
  });
}
