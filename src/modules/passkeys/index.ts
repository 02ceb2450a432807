// Passkeys owns WebAuthn credentials: registration and sign-in ceremonies, passkeys as a
// second factor, and their management (list, rename, remove).
export { createPasskeysService, type PasskeysService } from './passkeys.service.ts';
export { passkeysRoutes } from './passkeys.routes.ts';
export { hasPasskeysRead, removeAllOf as removeAllPasskeysIn } from './passkeys.repo.ts';
export { wirePasskeys } from './wiring.ts';
