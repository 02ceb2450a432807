// WebAuthn JSON <-> browser objects: the standard parse*FromJSON / toJSON where the browser
// has them, base64url conversion otherwise.
const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
const enc = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export const supported = () => typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

function toJSON(cred) {
  if (typeof cred.toJSON === 'function') return cred.toJSON();
  const r = cred.response;
  const response = r.attestationObject
    ? { clientDataJSON: enc(r.clientDataJSON), attestationObject: enc(r.attestationObject), transports: r.getTransports?.() ?? [] }
    : { clientDataJSON: enc(r.clientDataJSON), authenticatorData: enc(r.authenticatorData), signature: enc(r.signature), userHandle: r.userHandle ? enc(r.userHandle) : undefined };
  return { id: cred.id, rawId: enc(cred.rawId), type: cred.type, authenticatorAttachment: cred.authenticatorAttachment, clientExtensionResults: cred.getClientExtensionResults(), response };
}

/** navigator.credentials.get with the server's options (JSON) -> the assertion as JSON. */
export async function getAssertion(options) {
  const publicKey = typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function'
    ? PublicKeyCredential.parseRequestOptionsFromJSON(options)
    : { ...options, challenge: dec(options.challenge), allowCredentials: (options.allowCredentials ?? []).map((c) => ({ ...c, id: dec(c.id) })) };
  return toJSON(await navigator.credentials.get({ publicKey }));
}

/** navigator.credentials.create with the server's options (JSON) -> the credential as JSON. */
export async function createCredential(options) {
  const publicKey = typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'
    ? PublicKeyCredential.parseCreationOptionsFromJSON(options)
    : { ...options, challenge: dec(options.challenge), user: { ...options.user, id: dec(options.user.id) }, excludeCredentials: (options.excludeCredentials ?? []).map((c) => ({ ...c, id: dec(c.id) })) };
  return toJSON(await navigator.credentials.create({ publicKey }));
}
