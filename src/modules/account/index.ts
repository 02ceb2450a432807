// Account owns the email flows: verification, password reset and change, magic links and
// email codes, change of email, and the notices that tell a user about their account.
// Proofs (links and codes) are single-use and stored as hashes; mail goes through the
// mail module's outbox.
export { createAccountService, type AccountService, type AccountDeps } from './account.service.ts';
export { createPasswordlessService, type PasswordlessService } from './passwordless.service.ts';
export { createNotices, type Notices } from './notices.ts';
export { createOneTimeTokens, MAX_CODE_ATTEMPTS, type OneTimeTokens } from './one-time-tokens.ts';
export { createAddressLimits, type AddressLimits } from './address-limits.ts';
export { createRedirectPolicy, type RedirectPolicy } from './redirects.ts';
export { accountRoutes } from './account.routes.ts';
export { wireAccount, wirePasswordless } from './wiring.ts';
