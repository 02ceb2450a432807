// HTTP plumbing shared by every module: the error handler, bearer guard, refresh
// cookie, rate limiting. Modules use these; this folder imports no module.
export { installErrorHandler, errorResponseSchema, errorResponses, type ErrorBody } from './error-handler.ts';
export { createRateLimiter, rateLimitHook, type RateLimiter } from './rate-limit.ts';
export { createAuthGuard, bearerToken } from './auth-guard.ts';
export { setRefreshCookie, clearRefreshCookie, refreshCookie, signedInBody, sessionContext, REFRESH_COOKIE, setRegistrantCookie, registrantCookie, type CookieSettings } from './cookies.ts';
export { clientKey } from './client-key.ts';
export { createCrossSiteGuard, createCsrfCheck } from './csrf.ts';
export { runWithContext, requestContext, setActor, type Actor, type RequestContext } from './request-context.ts';
export { optionalBody } from './optional-body.ts';
export { checkRequestInput, findInputProblem, MAX_BODY_DEPTH } from './input-checks.ts';
export { closeRouteBody, freeFormKeyword, DEFAULT_FREE_FORM_LIMITS, type FreeFormLimits } from './body-schema.ts';
export { createOperationIdHook, declareSecurity, openapiTransform, operationIdOf, securityOfHooks, type SecurityRequirement } from './openapi.ts';
