// Where a flow may send the browser afterwards: AUTH_CLIENT_URL or an entry of
// AUTH_REDIRECT_ALLOWLIST, compared as exact strings, so that no crafted URL (another
// host, a path trick, `//evil`, userinfo) can turn Tessera into an open redirect.
import { AppError } from '../../core/errors/index.ts';

export function createRedirectPolicy(clientUrl: string, allowlist: readonly string[]) {
  const allowed = new Set([clientUrl, `${clientUrl}/`, ...allowlist]);
  return {
    /** The allowed target, AUTH_CLIENT_URL when none is given; redirect_not_allowed otherwise. */
    check(redirectTo: string | undefined): string {
      if (redirectTo === undefined || redirectTo === '') return clientUrl;
      if (!allowed.has(redirectTo)) throw new AppError('redirect_not_allowed');
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
