// The document around every hosted page and dashboard page: language, skip link, header
// with the logo, the page's own script (external: the CSP allows no inline script), and the
// messages that script needs, as a JSON block (data, not code).
import { html, jsonBlock, type Html } from './html.ts';
import type { Dictionary, Messages } from './i18n.ts';

export interface Branding {
  appName: string;
  logoUrl: string;
}

export interface PageOptions {
  locale: string;
  title: string;
  body: Html;
  /** A script under /ui/assets/pages/, without `.js`. */
  script?: string;
  /** `data-*` attributes of <body>, read by the page script. */
  data?: Record<string, string>;
  /** Message prefixes the page script needs (`errors.` is always included). */
  messages?: readonly string[];
  /** The dashboard's navigation, for admin pages. */
  nav?: Html;
  /** The path of this page, for the language links. */
  path: string;
  wide?: boolean;
}

export const ASSETS = '/ui/assets';

export function createLayout(dict: Dictionary, brand: Branding) {
  return function page(o: PageOptions): string {
    const t = (k: string, v?: Record<string, string | number>) => dict.t(o.locale, k, v);
    const messages: Messages = dict.subset(o.locale, ['errors.', 'common.', ...(o.messages ?? [])]);
    const data = Object.entries(o.data ?? {}).map(([k, v]) => html` data-${k.replace(/[^a-z0-9-]/gi, '')}="${v}"`);
    const langLinks = dict.locales.map((l) => {
      const u = new URL(o.path, 'http://x');
      u.searchParams.set('lang', l);
      return l === o.locale
        ? html`<li><span aria-current="true" lang="${l}">${dict.t(l, 'common.languageName')}</span></li>`
        : html`<li><a href="${u.pathname + u.search}" lang="${l}" hreflang="${l}">${dict.t(l, 'common.languageName')}</a></li>`;
    });
    return html`<!doctype html>
<html lang="${o.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title} · ${brand.appName}</title>
<link rel="stylesheet" href="${ASSETS}/ui.css">
${o.nav ? html`<link rel="stylesheet" href="${ASSETS}/admin.css">` : ''}
<link rel="stylesheet" href="${ASSETS}/theme.css">
<link rel="icon" href="${ASSETS}/favicon.svg" type="image/svg+xml">
${o.script ? html`<script type="module" src="${ASSETS}/pages/${o.script}.js"></script>` : ''}
</head>
<body class="${o.nav ? 'admin' : 'hosted'}${o.wide ? ' wide' : ''}"${data} data-locale="${o.locale}">
<a class="skip" href="#main">${t('common.skip')}</a>
<header class="top">
  <a class="brand" href="${o.nav ? '/admin/ui' : '/ui/account'}"><img src="${brand.logoUrl}" alt="" width="32" height="32"><span>${brand.appName}</span></a>
  <nav aria-label="${t('common.language')}"><ul class="langs">${langLinks}</ul></nav>
</header>
${o.nav ?? ''}
<main id="main" tabindex="-1">
<h1>${o.title}</h1>
${o.body}
</main>
<script type="application/json" id="tessera-messages">${jsonBlock(messages)}</script>
</body>
</html>
`.value;
  };
}

export type RenderPage = ReturnType<typeof createLayout>;
