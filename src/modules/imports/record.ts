// One user as every import source turns it into: what Tessera stores, in its own terms.
// Sources parse and check the shape of a file; the importer decides what gets written.

export interface ImportIdentity {
  /** Tessera's provider name (`google`, `github`, or a generic OIDC provider's name). */
  provider: string;
  providerUserId: string;
  email?: string | undefined;
  name?: string | undefined;
  avatarUrl?: string | undefined;
}

export interface ImportRecord {
  /** Where the record is in the file (line or array position, from 1), for reports. */
  position: number;
  /** The user's id in the other system. */
  sourceId: string;
  /** Kept as Tessera's user id when it is a UUID (Supabase), so foreign keys stay valid. */
  id?: string | undefined;
  email: string;
  emailVerified: boolean;
  username?: string | undefined;
  /** In Tessera's stored form (bcrypt, argon2, `$firebase-scrypt$...`), or null. */
  passwordHash: string | null;
  disabled: boolean;
  createdAt?: Date | undefined;
  lastLogin?: Date | undefined;
  /** Application and profile data carried over (merged into the user's metadata). */
  metadata: Record<string, unknown>;
  identities: ImportIdentity[];
  /** Why the record cannot be imported (no email, unsupported hash, ...); it is reported. */
  rejected?: string | undefined;
}

/** The file itself is unusable: nothing is written. */
export class ImportFormatError extends Error {
  constructor(message: string, readonly position?: number) {
    super(position !== undefined ? `record ${position}: ${message}` : message);
    this.name = 'ImportFormatError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/;
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const ARGON2 = /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

/** A hash Tessera can verify as it is (bcrypt or argon2), else undefined. */
export function acceptedHash(h: unknown): string | undefined {
  return typeof h === 'string' && (BCRYPT.test(h) || ARGON2.test(h)) ? h : undefined;
}

export function validEmail(e: unknown): string | undefined {
  if (typeof e !== 'string') return undefined;
  const t = e.trim();
  return t.length <= 254 && EMAIL.test(t) ? t : undefined;
}

/** A date from ISO text, epoch milliseconds (number or digits), or undefined. */
export function parseDate(v: unknown): Date | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const d = typeof v === 'number' || (typeof v === 'string' && /^\d{10,14}$/.test(v)) ? new Date(Number(v)) : typeof v === 'string' ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined;
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** JSON that a CSV cell or an attribute string holds; undefined when empty or not an object. */
export function jsonObject(v: unknown): Record<string, unknown> | undefined {
  if (obj(v)) return v as Record<string, unknown>;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  try {
    return obj(JSON.parse(v));
  } catch {
    return undefined;
  }
}

/** Other systems' provider ids mapped to Tessera's names. */
const PROVIDERS: Record<string, string> = {
  'google.com': 'google', 'google-oauth2': 'google', google: 'google',
  'github.com': 'github', github: 'github',
  'facebook.com': 'facebook', facebook: 'facebook',
  'twitter.com': 'twitter', twitter: 'twitter', x: 'twitter',
  'apple.com': 'apple', apple: 'apple',
  'microsoft.com': 'microsoft', windowslive: 'microsoft', azure: 'microsoft', microsoft: 'microsoft',
  'linkedin.com': 'linkedin', linkedin: 'linkedin', linkedin_oidc: 'linkedin',
  slack: 'slack', slack_oidc: 'slack', discord: 'discord', twitch: 'twitch', gitlab: 'gitlab', bitbucket: 'bitbucket', spotify: 'spotify',
};

/** Sign-in methods that are not provider identities (the password itself, phone, ...). */
const NOT_IDENTITIES = new Set(['password', 'email', 'phone', 'auth0', 'anonymous', 'sms', 'email-passwordless', 'sso']);

/** Tessera's name for a provider of another system; undefined for password and phone. */
export function providerName(raw: string): string | undefined {
  const p = raw.trim().toLowerCase();
  if (NOT_IDENTITIES.has(p)) return undefined;
  if (PROVIDERS[p]) return PROVIDERS[p];
  // Firebase's `oidc.<name>` and `saml.<name>`: a generic provider of that name.
  const m = /^(?:oidc|saml)\.([a-z0-9][a-z0-9_-]{0,40})$/.exec(p);
  if (m) return m[1];
  return /^[a-z0-9][a-z0-9_-]{0,40}$/.test(p) ? p : undefined;
}
