// @tessera/client: talk to a Tessera server from browsers and native apps.
export { createClient, type TesseraClient, type ClientOptions, type Session, type SignInResult, type SignUpInput, type User, type AuthEvent } from './client.ts';
export { TesseraError } from './errors.ts';
export { memoryStorage, type TokenStorage } from './storage.ts';
