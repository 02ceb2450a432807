// WebAuthn glue: the server sends options and takes credentials as JSON with base64url
// binary fields (the WebAuthn Level 3 JSON forms); navigator.credentials wants and gives
// ArrayBuffers.

import { fromBase64url, toBase64url } from './base64url.ts';

type Json = Record<string, unknown>;

const descriptors = (list: unknown): PublicKeyCredentialDescriptor[] =>
  ((list as Json[] | undefined) ?? []).map((c) => ({ ...(c as object), id: fromBase64url(String(c.id)) }) as PublicKeyCredentialDescriptor);

/** Registration options from the server, for navigator.credentials.create. */
export function creationOptions(o: Json): PublicKeyCredentialCreationOptions {
  const user = o.user as Json;
  return {
    ...(o as object),
    challenge: fromBase64url(String(o.challenge)),
    user: { ...(user as object), id: fromBase64url(String(user.id)) },
    excludeCredentials: descriptors(o.excludeCredentials),
  } as PublicKeyCredentialCreationOptions;
}

/** Sign-in options from the server, for navigator.credentials.get. */
export function requestOptions(o: Json): PublicKeyCredentialRequestOptions {
  return { ...(o as object), challenge: fromBase64url(String(o.challenge)), allowCredentials: descriptors(o.allowCredentials) } as PublicKeyCredentialRequestOptions;
}

/** A new or asserted credential, as the JSON the server verifies. */
export function credentialToJson(cred: PublicKeyCredential): Json {
  const r = cred.response as AuthenticatorAttestationResponse & AuthenticatorAssertionResponse;
  const response: Json = { clientDataJSON: toBase64url(r.clientDataJSON) };
  if ('attestationObject' in r && r.attestationObject) {
    response.attestationObject = toBase64url(r.attestationObject);
    response.transports = typeof r.getTransports === 'function' ? r.getTransports() : [];
  } else {
    response.authenticatorData = toBase64url(r.authenticatorData);
    response.signature = toBase64url(r.signature);
    if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
  }
  return {
    id: cred.id,
    rawId: toBase64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response,
  };
}
