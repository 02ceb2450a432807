/** The payload of a JWT, unverified: the client only reads the expiry and identity claims. */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((part.length + 3) % 4);
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** When the token expires, in milliseconds since the epoch (0 when it does not say). */
export function expiryOf(token: string): number {
  const exp = jwtPayload(token).exp;
  return typeof exp === 'number' ? exp * 1000 : 0;
}
