// HTTP plumbing shared by every module: the error handler, bearer guard, refresh
// cookie, the rate-limit hook. Modules' routes use these; this folder imports no module.
// What services need without HTTP lives beside it: the request context (core/context.ts)
// and the limiters (core/limits).
export { installErrorHandler, errorResponseSchema, errorResponses, type ErrorBody } from './error-handler.ts';
export { rateLimitHook } from './rate-limit-hook.ts';
export { createAuthGuard, bearerToken } from './auth-guard.ts';
export { setRefreshCookie, clearRefreshCookie, refreshCookie, signedInBody, sessionContext, REFRESH_COOKIE, setRegistrantCookie, registrantCookie, type CookieSettings } from './cookies.ts';
export { clientKey } from './client-key.ts';
export { createCrossSiteGuard, createCsrfCheck } from './csrf.ts';
export { optionalBody } from './optional-body.ts';
export { checkRequestInput, findInputProblem, MAX_BODY_DEPTH } from './input-checks.ts';
export { closeRouteBody, freeFormKeyword, DEFAULT_FREE_FORM_LIMITS, type FreeFormLimits } from './body-schema.ts';
export { createOperationIdHook, declareSecurity, openapiTransform, operationIdOf, securityOfHooks, type SecurityRequirement } from './openapi.ts';
export { lazyChildLogger } from './lazy-logger.ts';
export { lazyValidator, type Validate } from './lazy-validator.ts';
export { recordHeaders } from './record-headers.ts';
export { parseJsonBody } from './json-body.ts';
