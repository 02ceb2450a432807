// The refresh-token cookie: HttpOnly, SameSite, scoped to /auth, Secure unless disabled.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';

export const REFRESH_COOKIE = 'refresh_token';
export const REFRESH_COOKIE_PATH = '/auth';

export interface CookieSettings {
  secure: boolean;
  sameSite: 'strict' | 'lax' | 'none';
  maxAgeSeconds: number;
}

export function setRefreshCookie(reply: FastifyReply, token: string, s: CookieSettings): void {
  reply.setCookie(REFRESH_COOKIE, token, { httpOnly: true, secure: s.secure, sameSite: s.sameSite, path: REFRESH_COOKIE_PATH, maxAge: s.maxAgeSeconds });
}

export function clearRefreshCookie(reply: FastifyReply, s: CookieSettings): void {
  reply.setCookie(REFRESH_COOKIE, '', { httpOnly: true, secure: s.secure, sameSite: s.sameSite, path: REFRESH_COOKIE_PATH, maxAge: 0, expires: new Date(0) });
}

export function refreshCookie(req: FastifyRequest): string | undefined {
  const v = req.cookies?.[REFRESH_COOKIE];
  return v ? v : undefined;
}

/** Where a sign-in comes from, as a session records it. */
export function sessionContext(req: FastifyRequest, client: string): { client: string; ip: string | null; userAgent: string | null } {
  return { client, ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null };
}

/** The answer of a sign-in: tokens in the body for native clients; the refresh token as a cookie for browsers. */
export function signedInBody(reply: FastifyReply, client: string, r: { accessToken: string; refreshToken: string; user: unknown }, s: CookieSettings) {
  if (client === 'native') return { accessToken: r.accessToken, refreshToken: r.refreshToken, user: r.user };
  setRefreshCookie(reply, r.refreshToken, s);
  return { accessToken: r.accessToken, user: r.user };
}

/**
 * The registrant mark: set by a registration in the browser that made it, shown back when
 * that browser proves the address (see the address claim in the sign-in module).
 */
export const REGISTRANT_COOKIE = 'tessera_registrant';

export function setRegistrantCookie(reply: FastifyReply, mark: string, s: CookieSettings, maxAgeSeconds: number): void {
  reply.setCookie(REGISTRANT_COOKIE, mark, { httpOnly: true, secure: s.secure, sameSite: 'lax', path: REFRESH_COOKIE_PATH, maxAge: maxAgeSeconds });
}

export function registrantCookie(req: FastifyRequest): string | undefined {
  const v = req.cookies?.[REGISTRANT_COOKIE];
  return v ? v : undefined;
}
