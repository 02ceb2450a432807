// Schemas of the MFA endpoints (validation, serialization, OpenAPI).
import { errorResponses as errors } from '../../core/http/index.ts';

const tags = ['mfa'];
const bearer = [{ bearerAuth: [] }];
const code = { type: 'string', minLength: 1, maxLength: 32 } as const;
const verificationId = { type: 'string', minLength: 1, maxLength: 64 } as const;
const method = { type: 'string', enum: ['totp', 'email', 'sms', 'recovery'], description: 'A passkey answers through POST /auth/passkeys/login/options and /verify with the verification_id' } as const;
const enrollmentToken = { type: 'string', minLength: 1, maxLength: 256, description: 'Instead of a bearer token: the `enrollment_token` of an `mfa_enrollment_required` answer' } as const;
const user = { type: 'object', required: ['id', 'username', 'email', 'role'], properties: { id: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } } } as const;
const signedIn = {
  accessToken: { type: 'string', description: 'After enrollment with an enrollment token: the sign-in' },
  refreshToken: { type: 'string', description: 'Native clients only' },
  user,
} as const;
const activated = {
  type: 'object', required: ['factorId', 'recoveryCodes'],
  properties: {
    factorId: { type: 'string' },
    recoveryCodes: { type: ['array', 'null'], items: { type: 'string' }, description: 'Shown once: 10 single-use codes (null when the user already has codes)' },
    ...signedIn,
  },
} as const;
const challenge = { type: 'object', required: ['verification_id', 'expires_at'], properties: { verification_id: { type: 'string' }, expires_at: { type: 'string', format: 'date-time' } } } as const;
const message = { type: 'object', required: ['message'], properties: { message: { type: 'string' } } } as const;

export const listSchema = {
  tags, summary: "The caller's factors", security: bearer,
  response: {
    200: {
      type: 'object', required: ['factors', 'recoveryCodesRemaining'],
      properties: {
        factors: { type: 'array', items: { type: 'object', required: ['id', 'type', 'createdAt', 'lastUsedAt'], properties: { id: { type: 'string' }, type: { type: 'string' }, createdAt: { type: 'string' }, lastUsedAt: { type: ['string', 'null'] }, phone: { type: 'string', description: 'Masked' } } } },
        recoveryCodesRemaining: { type: 'integer' },
      },
    },
    ...errors(401, 403),
  },
} as const;

export const totpSetupSchema = {
  tags, summary: 'Start TOTP enrollment: secret, otpauth:// URI and QR code', security: bearer,
  description: 'Replaces an unfinished enrollment. The factor is active only after POST /auth/mfa/totp/verify.',
  body: { type: 'object', additionalProperties: false, properties: { enrollmentToken } },
  response: {
    200: {
      type: 'object', required: ['factorId', 'secret', 'uri', 'qrCode'],
      properties: { factorId: { type: 'string' }, secret: { type: 'string' }, uri: { type: 'string' }, qrCode: { type: 'object', required: ['svg', 'dataUrl'], properties: { svg: { type: 'string' }, dataUrl: { type: 'string' } } } },
    },
    ...errors(400, 401, 403, 409, 415, 429),
  },
} as const;

export const totpVerifySchema = {
  tags, summary: 'Activate TOTP with a first code; returns the recovery codes', security: bearer,
  body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code, enrollmentToken } },
  response: { 200: activated, ...errors(400, 401, 403, 415, 429) },
} as const;

export const emailFactorSchema = {
  tags, summary: 'Use the (verified) email address as a second factor', security: bearer,
  response: { 200: activated, ...errors(400, 401, 403, 409, 429) },
} as const;

export const smsEnrollSchema = {
  tags, summary: 'Send a code to a phone number (E.164) to make it a factor', security: bearer,
  body: { type: 'object', required: ['phone'], additionalProperties: false, properties: { phone: { type: 'string', maxLength: 20 }, enrollmentToken } },
  response: { 200: challenge, ...errors(400, 401, 403, 409, 415, 429, 502) },
} as const;

export const smsVerifySchema = {
  tags, summary: 'Confirm the phone number with its code', security: bearer,
  body: { type: 'object', required: ['verification_id', 'code'], additionalProperties: false, properties: { verification_id: verificationId, code, enrollmentToken } },
  response: { 200: activated, ...errors(400, 401, 403, 415, 429) },
} as const;

export const recoveryCodesSchema = {
  tags, summary: 'Replace the recovery codes (needs a recent sign-in)', security: bearer,
  response: { 200: { type: 'object', required: ['recoveryCodes'], properties: { recoveryCodes: { type: 'array', items: { type: 'string' } } } }, ...errors(400, 401, 403, 429) },
} as const;

export const removeSchema = {
  tags, summary: 'Remove a factor (needs a recent sign-in)', security: bearer,
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
  response: { 200: message, ...errors(400, 401, 403, 404, 429) },
} as const;

export const loginMfaSchema = {
  tags, summary: 'Complete a sign-in with a second factor',
  description: 'Answers the `mfa_required` challenge of POST /auth/login. A recovery code works in place of any factor. Five wrong codes end the challenge. Answers like a sign-in.',
  body: { type: 'object', required: ['verification_id', 'code', 'method'], additionalProperties: false, properties: { verification_id: verificationId, code, method } },
  response: { 200: { type: 'object', required: ['accessToken', 'user'], properties: signedIn }, ...errors(400, 401, 403, 415, 429, 503) },
} as const;

export const loginMfaSendSchema = {
  tags, summary: 'Send the code of another method (email or SMS) for a sign-in challenge',
  body: { type: 'object', required: ['verification_id', 'method'], additionalProperties: false, properties: { verification_id: verificationId, method: { type: 'string', enum: ['email', 'sms'] } } },
  response: { 200: message, ...errors(400, 415, 429, 502) },
} as const;

export const reauthSchema = {
  tags, summary: 'Prove your identity again, for sensitive actions', security: bearer,
  description: '`{password}`, `{method: "totp"|"recovery", code}`, or `{verification_id, code}` after POST /auth/reauthenticate/send. Sensitive actions accept the session for AUTH_REAUTH_MAX_AGE afterwards.',
  body: { type: 'object', additionalProperties: false, properties: { password: { type: 'string', minLength: 1, maxLength: 1024 }, method, code, verification_id: verificationId } },
  response: { 200: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } }, ...errors(400, 401, 403, 415, 429) },
} as const;

export const reauthSendSchema = {
  tags, summary: 'Send an email or SMS code to reauthenticate with', security: bearer,
  body: { type: 'object', required: ['method'], additionalProperties: false, properties: { method: { type: 'string', enum: ['email', 'sms'] } } },
  response: { 200: challenge, ...errors(400, 401, 403, 415, 429, 502) },
} as const;
