// Small, strict parsers for environment values. Each throws a message that says what
// is allowed; the loader prefixes it with the variable's name.

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses `2s`, `5m`, `1h`, `7d`, `2w` or a plain number of seconds into seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)\s*([smhdw]?)$/.exec(value.trim());
  if (!m) throw new Error('expected a duration such as 30s, 15m, 1h or 7d');
  const seconds = Number(m[1]) * (UNITS[m[2] || 's'] ?? 1);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new Error('expected a positive duration');
  return seconds;
}

/** Like parseDuration, but `0` or `off` mean "disabled" (0). */
export function parseOptionalDuration(value: string): number {
  if (/^(0|off|none)$/i.test(value.trim())) return 0;
  return parseDuration(value);
}

export function parseBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error('expected true or false');
}

export function parseInteger(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new Error(`expected a whole number from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new Error(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

export function parseEnum<T extends string>(allowed: readonly T[], caseInsensitive = false) {
  return (value: string): T => {
    const v = value.trim();
    const hit = allowed.find((a) => (caseInsensitive ? a.toLowerCase() === v.toLowerCase() : a === v));
    if (!hit) throw new Error(`expected one of ${allowed.join(', ')}`);
    return hit;
  };
}

export function parseList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export function parseUrl(protocols: string[]) {
  return (value: string): string => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new Error(`expected a URL (${protocols.join(', ')})`);
    }
    if (!protocols.includes(url.protocol.replace(/:$/, ''))) throw new Error(`expected a URL with scheme ${protocols.join(' or ')}`);
    return value;
  };
}

export type TrustProxy = boolean | number | string[];

/** `false`, `true`, a hop count, or a comma list of addresses and CIDRs. */
export function parseTrustProxy(value: string): TrustProxy {
  const v = value.trim();
  if (/^(false|0|no|off|)$/i.test(v)) return false;
  if (/^(true|yes|on)$/i.test(v)) return true;
  if (/^\d+$/.test(v)) return Number(v);
  const list = parseList(v);
  for (const entry of list) {
    const [addr, bits, extra] = entry.split('/');
    const isV4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(addr ?? '');
    const isV6 = (addr ?? '').includes(':') && /^[0-9a-f:.]+$/i.test(addr ?? '');
    const named = ['loopback', 'linklocal', 'uniquelocal'].includes(entry);
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (isV4 ? 32 : 128));
    if (!(named || ((isV4 || isV6) && bitsOk && extra === undefined))) {
      throw new Error('expected false, true, a hop count, or a comma list of IP addresses / CIDRs');
    }
  }
  return list;
}

/** A base URL (http or https) without a trailing slash, so that paths can be appended. */
export function parseBaseUrl(value: string): string {
  const url = parseUrl(['http', 'https'])(value.trim());
  if (new URL(url).search || new URL(url).hash) throw new Error('expected a base URL without query or fragment');
  return url.replace(/\/+$/, '');
}

/** A comma list of absolute URLs (any scheme, so that app links such as `myapp://done` fit). */
export function parseUrlList(value: string): string[] {
  return parseList(value).map((u) => {
    try {
      new URL(u);
    } catch {
      throw new Error(`expected a comma list of absolute URLs ("${u.slice(0, 80)}" is not one)`);
    }
    return u;
  });
}

/** An email address with an optional display name: `Name <a@b.c>` or `a@b.c`. */
export function parseSender(value: string): string {
  const v = value.trim();
  if (!/^(?:[^<>@\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(v)) throw new Error('expected an address such as `Tessera <no-reply@example.com>`');
  return v;
}

/** An http(s) endpoint Tessera calls: no credentials in the URL (fetch refuses them) and no fragment. */
export function parseEndpointUrl(value: string): string {
  const v = parseUrl(['http', 'https'])(value.trim());
  const url = new URL(v);
  if (url.username || url.password) throw new Error('expected a URL without user name or password (requests are signed with the secret instead)');
  if (url.hash) throw new Error('expected a URL without fragment');
  return v;
}

/**
 * A shared signing secret in the Standard Webhooks form (`whsec_` + base64 of at least 24
 * bytes), or any other string of at least 32 characters, used as raw bytes.
 */
export function parseSigningSecret(value: string): string {
  const v = value.trim();
  if (v.startsWith('whsec_')) {
    const b64 = v.slice('whsec_'.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || Buffer.from(b64, 'base64').length < 24) throw new Error('expected whsec_ followed by the base64 of at least 24 random bytes');
    return v;
  }
  if (v.length < 32) throw new Error('expected whsec_<base64> or at least 32 characters (e.g. `openssl rand -base64 32`)');
  return v;
}

/** A CSS colour in hex (`#rgb` or `#rrggbb`), lower-cased; nothing else can reach the theme's CSS. */
export function parseColor(value: string): string {
  const v = value.trim().toLowerCase();
  if (!/^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/.test(v)) throw new Error('expected a hex colour such as `#4338ca`');
  return v;
}

/** A logo: a path on this service, an https URL, or a data:image URL. */
export function parseLogoUrl(value: string): string {
  const v = value.trim();
  if (/^\/(?![/\\])[^\s"'<>]*$/.test(v)) return v;
  if (/^data:image\/(?:png|svg\+xml|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(v)) return v;
  let url: URL;
  try { url = new URL(v); } catch { throw new Error('expected a path (`/ui/assets/logo.svg`), an https:// URL or a data:image URL'); }
  if (url.protocol !== 'https:' || url.username || url.password) throw new Error('expected an https:// URL without user name or password');
  return url.toString();
}

/** A URL path prefix: `/` (none) or `/segment[/segment...]`, without a trailing slash. */
export function parsePathPrefix(value: string): string {
  const v = value.trim().replace(/\/+$/, '');
  if (v === '') return '';
  if (!/^(\/[a-z0-9._-]+)+$/i.test(v)) throw new Error('expected `/` or a path such as `/mstack` (letters, digits, `.`, `_`, `-` between slashes)');
  return v;
}
