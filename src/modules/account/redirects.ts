// Where a flow may send the browser afterwards: AUTH_CLIENT_URL or an entry of
// AUTH_REDIRECT_ALLOWLIST, compared as exact strings, so that no crafted URL (another
// host, a path trick, `//evil`, userinfo) can turn Tessera into an open redirect.
// Tessera's own hosted pages and dashboard (`<public URL>/ui/...`, `/admin/ui...`) are
// allowed too when they are served: same origin as the service, parsed and normalised.
import { AppError } from '../../core/errors/index.ts';

const OWN_PAGES = /^\/(?:ui(?:\/|$)|admin\/ui(?:\/|$))/;

export function createRedirectPolicy(clientUrl: string, allowlist: readonly string[], ownOrigin?: string) {
  const allowed = new Set([clientUrl, `${clientUrl}/`, ...allowlist]);
  const own = (redirectTo: string): boolean => {
    if (!ownOrigin) return false;
    let u: URL;
    try { u = new URL(redirectTo); } catch { return false; }
    // The string must already be in normal form: no `..`, `%2e`, backslashes or userinfo tricks.
    return u.origin === ownOrigin && u.href === redirectTo && !u.username && !u.password && OWN_PAGES.test(u.pathname);
  };
  return {
    /** The allowed target, AUTH_CLIENT_URL when none is given; redirect_not_allowed otherwise. */
    check(redirectTo: string | undefined): string {
      if (redirectTo === undefined || redirectTo === '') return clientUrl;
      if (!allowed.has(redirectTo) && !own(redirectTo)) throw new AppError('redirect_not_allowed');
      return redirectTo;
    },
    /** `url` with query parameters added (for results and errors shown by the application). */
    withParams(url: string, params: Record<string, string>): string {
      const u = new URL(url);
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
      return u.toString();
    },
  };
}

export type RedirectPolicy = ReturnType<typeof createRedirectPolicy>;
