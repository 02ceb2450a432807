// @tessera/client: talk to a Tessera server from browsers and native apps.
export { createClient, type TesseraClient, type ClientOptions, type Session, type SignInResult, type SignUpInput, type User, type AuthEvent,
  type Organization, type OrganizationMember, type ActiveOrganization } from './client.ts';
export { jwtPayload } from './jwt.ts';
export { TesseraError } from './errors.ts';
export { memoryStorage, type TokenStorage } from './storage.ts';
