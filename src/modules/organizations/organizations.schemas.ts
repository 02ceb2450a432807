// JSON schemas of the organization routes (user API and admin API): validation,
// serialization and the OpenAPI document come from them.
export const uuid = { type: 'string', format: 'uuid' } as const;
export const slug = { type: 'string', minLength: 1, maxLength: 48, pattern: '^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$' } as const;
export const name = { type: 'string', minLength: 1, maxLength: 100 } as const;
export const logoUrl = { type: ['string', 'null'], maxLength: 2048, pattern: '^https://' , description: 'An https URL of the logo, or null' } as const;
export const metadata = {
  type: 'object', additionalProperties: true, 'x-free-form': true,
  description: "The organization's application metadata: any JSON object (AUTH_METADATA_MAX_DEPTH, AUTH_METADATA_MAX_BYTES)",
} as const;
export const roleName = { type: 'string', minLength: 1, maxLength: 63, pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,62}$', description: 'An organization role: `owner`, `admin`, `member`, or a custom one (an RBAC role named `org.<name>`)' } as const;
export const emailField = { type: 'string', format: 'email', minLength: 3, maxLength: 254 } as const;
export const tokenField = { type: 'string', minLength: 1, maxLength: 128 } as const;

export const organization = {
  type: 'object', required: ['id', 'name', 'slug', 'logoUrl', 'metadata', 'createdAt', 'updatedAt'],
  properties: {
    id: uuid, name: { type: 'string' }, slug: { type: 'string' }, logoUrl: { type: ['string', 'null'] },
    metadata: { type: 'object', additionalProperties: true }, createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
    role: { type: 'string', description: "The caller's role (lists of the caller's organizations)" }, joinedAt: { type: 'string', format: 'date-time' },
    memberCount: { type: 'integer' },
  },
} as const;

export const member = {
  type: 'object', required: ['userId', 'username', 'email', 'role', 'joinedAt'],
  properties: { userId: uuid, username: { type: 'string' }, email: { type: ['string', 'null'] }, role: { type: 'string' }, joinedAt: { type: 'string', format: 'date-time' } },
} as const;

export const invitation = {
  type: 'object', required: ['id', 'organizationId', 'email', 'role', 'status', 'createdAt', 'expiresAt'],
  properties: {
    id: uuid, organizationId: uuid, email: { type: 'string' }, role: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'accepted', 'revoked', 'expired'] }, invitedBy: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' }, expiresAt: { type: 'string', format: 'date-time' }, acceptedAt: { type: ['string', 'null'] },
    organization: { type: 'object', properties: { id: uuid, name: { type: 'string' }, slug: { type: 'string' }, logoUrl: { type: ['string', 'null'] } } },
  },
} as const;

export const activeOrganization = {
  type: ['object', 'null'], required: ['id', 'slug', 'role', 'permissions'],
  properties: { id: uuid, slug: { type: 'string' }, role: { type: 'string' }, permissions: { type: 'array', items: { type: 'string' } } },
} as const;

export const orgRole = {
  type: 'object', required: ['name', 'role', 'description', 'builtIn', 'permissions'],
  properties: { name: { type: 'string' }, role: { type: 'string' }, description: { type: 'string' }, builtIn: { type: 'boolean' }, permissions: { type: 'array', items: { type: 'string' } } },
} as const;

export const message = { type: 'object', required: ['message'], properties: { message: { type: 'string' } } } as const;
export const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
export const memberParams = { type: 'object', required: ['id', 'userId'], properties: { id: uuid, userId: uuid } } as const;
export const invitationParams = { type: 'object', required: ['id', 'invitationId'], properties: { id: uuid, invitationId: uuid } } as const;
