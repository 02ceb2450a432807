// JSON schemas of the admin API: request validation and the OpenAPI document at /docs.
const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDate = { type: ['string', 'null'], format: 'date-time' } as const;
const strings = { type: 'array', items: str } as const;

export const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID } } } as const;
export const roleParam = { type: 'string', minLength: 1, maxLength: 63, pattern: '^[A-Za-z][A-Za-z0-9_.-]*$' } as const;
export const permissionParam = { type: 'string', minLength: 1, maxLength: 130, pattern: '^[A-Za-z0-9_.:*-]+$' } as const;
export const message = { type: 'object', required: ['message'], properties: { message: str } } as const;

export const userSchema = {
  type: 'object',
  required: ['id', 'username', 'email', 'role', 'roles', 'active', 'emailVerified', 'createdAt'],
  properties: {
    id: str, username: str, email: { ...nullableStr, description: 'null: an account without an address (AUTH_EMAIL_REQUIRED=false)' }, role: { ...str, description: 'Default role' }, roles: { ...strings, description: 'Every role, the default first' },
    active: { type: 'boolean' }, emailVerified: { type: 'boolean' }, locale: str,
    metadata: { type: 'object', additionalProperties: true }, hasPassword: { type: 'boolean' }, passwordResetRequired: { type: 'boolean' },
    hasMfa: { type: 'boolean', description: 'An active factor or a passkey (lists only)' },
    lastLogin: nullableDate, createdAt: dateTime, updatedAt: dateTime,
  },
} as const;

export const userDetailSchema = {
  type: 'object',
  required: ['user', 'permissions', 'roleGrants', 'sessions', 'mfa', 'passkeys'],
  properties: {
    user: userSchema,
    permissions: { ...strings, description: 'Effective permissions through every role' },
    roleGrants: { type: 'array', items: { type: 'object', properties: { role: str, grantedBy: nullableStr, grantedAt: dateTime } } },
    sessions: { type: 'array', items: { type: 'object', additionalProperties: true } },
    mfa: { type: 'object', additionalProperties: true },
    passkeys: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

export const roleSchema = {
  type: 'object',
  required: ['name', 'description', 'builtIn', 'permissions', 'includes', 'effectivePermissions'],
  properties: {
    name: str, description: str, builtIn: { type: 'boolean' }, permissions: { ...strings, description: 'Granted directly' },
    includes: { ...strings, description: 'Roles whose permissions this role includes' },
    effectivePermissions: { ...strings, description: 'Direct and included, transitively' }, createdAt: dateTime, updatedAt: dateTime,
  },
} as const;

export const permissionSchema = {
  type: 'object',
  required: ['name', 'description', 'builtIn', 'roles'],
  properties: { name: str, description: str, builtIn: { type: 'boolean' }, roles: { ...strings, description: 'Roles granting it directly' }, createdAt: dateTime },
} as const;

export const serviceAccountSchema = {
  type: 'object',
  required: ['id', 'clientId', 'name', 'permissions', 'active'],
  properties: {
    id: str, clientId: str, name: str, description: str, permissions: strings, active: { type: 'boolean' }, secretExpiresAt: nullableDate,
    createdBy: nullableStr, createdAt: dateTime, updatedAt: dateTime, lastUsedAt: nullableDate,
  },
} as const;

export const auditEntrySchema = {
  type: 'object',
  required: ['id', 'occurredAt', 'type', 'actor', 'success'],
  properties: {
    id: str, occurredAt: dateTime, type: str,
    actor: { type: 'object', properties: { type: { type: 'string', enum: ['user', 'service_account', 'system', 'anonymous'] }, id: nullableStr } },
    userId: { ...nullableStr, description: 'The user the entry is about' }, ip: nullableStr, userAgent: nullableStr,
    success: { type: 'boolean' }, reason: nullableStr, details: { type: 'object', additionalProperties: true },
  },
} as const;

// Free-form and stored: open on purpose, bounded by `x-free-form` (core/http/body-schema.ts),
// whose limits (AUTH_METADATA_MAX_DEPTH, AUTH_METADATA_MAX_BYTES) are filled in per app.
export const metadataSchema = {
  type: 'object', additionalProperties: true, 'x-free-form': true,
  description: 'Application metadata: any JSON object, at most AUTH_METADATA_MAX_DEPTH levels deep (10) and AUTH_METADATA_MAX_BYTES of JSON (16 KiB); no NUL characters or unpaired surrogates',
} as const;
