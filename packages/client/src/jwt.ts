import { fromBase64url } from './base64url.ts';

/** The payload of a JWT, unverified: the client only reads the expiry and identity claims. */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    return JSON.parse(new TextDecoder().decode(fromBase64url(part))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** When the token expires, in milliseconds since the epoch (0 when it does not say). */
export function expiryOf(token: string): number {
  const exp = jwtPayload(token).exp;
  return typeof exp === 'number' ? exp * 1000 : 0;
}
