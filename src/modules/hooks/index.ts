// Hooks own Tessera's synchronous calls to the operator's own code, made while a request
// waits: the custom-claims hook (claims added to every user access token as it is minted)
// and the before-signup hook (may refuse a new account with a message). Each call is a
// signed JSON POST (Standard Webhooks headers) with a timeout, no redirects and a bounded
// answer; a hook that cannot answer fails open or closed as configured. The wire formats
// are in docs/hooks.md. Asynchronous notifications are the webhooks module's, not these.
export { createHooks, type Hooks, type HookSettings } from './hooks.service.ts';
export { createHookClient, MAX_RESPONSE_BYTES, type HookClient, type HookOutcome, type HookFailure } from './hook-client.ts';
export { createCustomClaimsHook, type CustomClaims, type CustomClaimsContext, type OnFailure } from './custom-claims.ts';
export { createBeforeSignupHook, publicMessage, MAX_MESSAGE_LENGTH, type BeforeSignup, type SignupAttempt } from './before-signup.ts';
export { mergeClaims, RESERVED_CLAIMS, RESERVED_HASURA_CLAIMS, MAX_ADDED_CLAIMS_BYTES, type MergedClaims } from './reserved-claims.ts';
export { wireHooks } from './wiring.ts';
