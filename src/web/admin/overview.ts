// /admin/ui: the overview. Key figures and charts of the last days (GET /admin/stats),
// drawn by pages/admin-overview.js; the period is a query parameter (?days=7|14|30|90).
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { html } from '../html.ts';
import { sendAdminPage } from './shell.ts';

const PERIODS = [7, 14, 30, 90];

export function overviewPage(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Querystring: { days?: string } }>('/admin/ui', { schema: { hide: true } }, async (req, reply) => {
    const asked = Number(req.query.days);
    const days = Number.isInteger(asked) && asked >= 1 && asked <= 90 ? asked : 14;
    const periods = PERIODS.includes(days) ? PERIODS : [...PERIODS, days].sort((a, b) => a - b);
    return sendAdminPage(ctx, req, reply, {
      section: 'overview', title: 'admin.overview.title', script: 'admin-overview', messages: ['admin.overview.'], data: { days: String(days) },
      body: (t) => html`
<div class="toolbar">
  <form id="period-form" class="inline-form" method="get" action="/admin/ui">
    <div class="field"><label for="days">${t('admin.overview.period')}</label>
      <select id="days" name="days">${periods.map((d) => html`<option value="${d}"${d === days ? html` selected` : ''}>${t('admin.overview.lastDays', { days: d })}</option>`)}</select></div>
    <button type="submit" class="secondary">${t('admin.overview.show')}</button>
  </form>
  <p class="muted" id="window"></p>
</div>
<section aria-labelledby="figures-title">
  <h2 id="figures-title" class="visually-hidden">${t('admin.overview.figures')}</h2>
  <dl class="metrics">
    <div><dt>${t('admin.overview.activeSessions')}</dt><dd class="metric" id="m-sessions">—</dd><dd class="muted" id="m-sessions-note"></dd></div>
    <div><dt>${t('admin.overview.users')}</dt><dd class="metric" id="m-users">—</dd><dd class="muted" id="m-users-note"></dd></div>
    <div><dt>${t('admin.overview.signIns')}</dt><dd class="metric" id="m-sign-ins">—</dd><dd class="muted" id="m-sign-ins-note"></dd></div>
    <div><dt>${t('admin.overview.failures')}</dt><dd class="metric" id="m-failures">—</dd><dd class="muted" id="m-failures-note"></dd></div>
    <div><dt>${t('admin.overview.mfaAdoption')}</dt><dd class="metric" id="m-mfa">—</dd><dd class="muted" id="m-mfa-note"></dd></div>
  </dl>
</section>
<div class="charts">
  <section class="card span-all" aria-labelledby="sign-ins-title">
    <h2 id="sign-ins-title">${t('admin.overview.signInsChart')}</h2>
    <div id="chart-sign-ins"></div>
  </section>
  <section class="card" aria-labelledby="new-users-title">
    <h2 id="new-users-title">${t('admin.overview.newUsersChart')}</h2>
    <div id="chart-new-users"></div>
  </section>
  <section class="card" aria-labelledby="mfa-title">
    <h2 id="mfa-title">${t('admin.overview.mfaChart')}</h2>
    <div id="chart-mfa"></div>
    <div id="chart-mfa-methods"></div>
  </section>
  <section class="card" aria-labelledby="reasons-title">
    <h2 id="reasons-title">${t('admin.overview.reasonsChart')}</h2>
    <div id="chart-reasons"></div>
  </section>
</div>
<p class="muted">${t('admin.overview.utcNote')}</p>`,
    });
  });
}
