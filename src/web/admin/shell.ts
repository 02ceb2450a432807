// What every dashboard page shares: the navigation between its sections (the current one
// marked with aria-current), and the frame of the content: a loading line, the message
// shown instead of the content when the admin API answers 403, and the content itself,
// shown by the page script once its data has loaded.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestLocale, sendHtml, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';

export type Section = 'overview' | 'users' | 'roles' | 'organizations' | 'serviceAccounts' | 'applications' | 'webhooks' | 'providers' | 'keys';

export const SECTIONS: readonly { key: Section; path: string }[] = [
  { key: 'overview', path: '/admin/ui' },
  { key: 'users', path: '/admin/ui/users' },
  { key: 'roles', path: '/admin/ui/roles' },
  { key: 'organizations', path: '/admin/ui/organizations' },
  { key: 'serviceAccounts', path: '/admin/ui/service-accounts' },
  { key: 'applications', path: '/admin/ui/applications' },
  { key: 'webhooks', path: '/admin/ui/webhooks' },
  { key: 'providers', path: '/admin/ui/providers' },
  { key: 'keys', path: '/admin/ui/keys' },
];

/** A message of the request's language, `{name}` filled. */
export type Translate = (key: string, values?: Record<string, string | number>) => string;

export interface AdminPage {
  section: Section;
  /** True on a page below the section's own (a user's page): the section is marked `true`, not `page`. */
  sub?: boolean;
  /** The page title's key (the section's name by default). */
  title?: string;
  /** The page script (/ui/assets/pages/<script>.js). */
  script: string;
  /** Message prefixes the script needs beyond `admin.common.` and `admin.labels.`. */
  messages?: string[];
  body: (t: Translate) => Html;
  data?: Record<string, string>;
}

function nav(t: Translate, current: Section, sub: boolean): Html {
  return html`<nav class="admin-nav" aria-label="${t('admin.nav.label')}">
  <ul>
    ${SECTIONS.map((s) => html`<li><a href="${s.path}"${s.key === current ? html` aria-current="${sub ? 'true' : 'page'}"` : ''}>${t(`admin.nav.${s.key}`)}</a></li>`)}
  </ul>
  <ul class="admin-nav-end">
    <li><a href="/ui/account">${t('admin.nav.account')}</a></li>
    <li><button type="button" class="link" id="sign-out">${t('common.signOut')}</button></li>
  </ul>
</nav>`;
}

/** Renders a dashboard page in the request's language. */
export function sendAdminPage(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, p: AdminPage): FastifyReply {
  const locale = requestLocale(ctx, req, reply);
  const t: Translate = (k, v) => ctx.dict.t(locale, k, v);
  const body = html`<p class="muted" id="loading" role="status">${t('common.loading')}</p>
<div class="status error" id="forbidden" role="alert" hidden></div>
<p class="status" id="page-status" role="alert" hidden></p>
<div id="content" class="admin-content" hidden>
${p.body(t)}
</div>`;
  return sendHtml(reply, ctx.page({
    locale, path: req.url, wide: true, title: t(p.title ?? `admin.nav.${p.section}`), body, script: p.script,
    nav: nav(t, p.section, p.sub ?? false),
    messages: ['admin.common.', 'admin.labels.', ...(p.messages ?? [])],
    ...(p.data ? { data: p.data } : {}),
  }));
}

/** The panel that shows a secret once (service accounts, webhooks). */
export function secretPanel(t: Translate, prefix: string): Html {
  return html`<section class="card secret-panel" id="secret-panel" aria-labelledby="secret-title" hidden>
  <h2 id="secret-title" tabindex="-1"></h2>
  <p class="status info" role="status">${t(`admin.${prefix}.secretOnce`)}</p>
  <dl class="profile" id="secret-facts"></dl>
  <div class="actions">
    <button type="button" class="secondary" id="copy-secret">${t('admin.common.copySecret')}</button>
    <button type="button" class="secondary" id="hide-secret">${t('admin.common.secretStored')}</button>
  </div>
  <p class="status" id="copy-status" role="status" hidden></p>
</section>`;
}
