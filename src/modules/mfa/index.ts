// MFA owns second factors: TOTP with recovery codes, email and SMS codes (Twilio, SNS or
// the log), the second step of sign-in, enrollment required by role, and step-up.
export { createMfaService, AMR, MAX_MFA_ATTEMPTS, type MfaService, type Method } from './mfa.service.ts';
export { mfaRoutes } from './mfa.routes.ts';
export { createTwilioProvider } from './sms/twilio.ts';
export { createSnsProvider } from './sms/aws-sns.ts';
export { createLogSmsProvider } from './sms/log.ts';
export type { SmsProvider } from './sms/provider.ts';
export { wireMfa } from './wiring.ts';
