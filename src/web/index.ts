// Hosted sign-in and account pages (/ui) and the admin dashboard (/admin/ui): pages
// rendered on the server with escaped templates, in the request's language, and small
// page scripts (no build step, no third-party asset) that call the JSON API. The CSP allows
// scripts from this origin only; nothing inline.
import type { FastifyPluginAsync } from 'fastify';
import type { RedirectPolicy } from '../modules/account/index.ts';
import type { OidcProvider } from '../modules/oidc/index.ts';
import type { CookieSettings } from '../core/http/index.ts';
import { oauth2Pages } from './hosted/oauth2.ts';
import { registerAssets, type Theme } from './assets.ts';
import type { WebContext } from './context.ts';
import { loadDictionary } from './i18n.ts';
import { createLayout } from './layout.ts';
import { hostedPages } from './hosted/index.ts';
import { adminPages } from './admin/index.ts';

export interface WebOptions {
  publicUrl: string;
  appName: string;
  logoUrl: string | undefined;
  theme: Theme;
  redirects: RedirectPolicy;
  sms: boolean;
  /** Every account needs an address (AUTH_EMAIL_REQUIRED); false makes the email fields optional. */
  emailRequired?: boolean;
  providers(): Promise<Array<{ name: string; displayName: string }>>;
  /** The OpenID Connect provider's pages (/oauth2/authorize, /oauth2/logout). */
  oidc?: OidcProvider;
  cookies?: CookieSettings;
}

export const webRoutes: FastifyPluginAsync<WebOptions> = async (app, o) => {
  const dict = loadDictionary();
  const page = createLayout(dict, { appName: o.appName, logoUrl: o.logoUrl ?? '/ui/assets/logo.svg' });
  const ctx: WebContext = { dict, page, publicUrl: o.publicUrl, appName: o.appName, redirects: o.redirects, features: { sms: o.sms, emailRequired: o.emailRequired !== false }, providers: o.providers };
  registerAssets(app, o.theme);
  await hostedPages(app, ctx);
  if (o.oidc && o.cookies) oauth2Pages(app, ctx, o.oidc, o.cookies);
  await adminPages(app, ctx);
};

export { loadDictionary } from './i18n.ts';
