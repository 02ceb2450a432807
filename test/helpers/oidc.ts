// The steps of the OpenID Connect provider tests: a Tessera listening on localhost (its
// public URL is the issuer), clients registered through the service, openid-client as the
// relying party, and a browser session driven with fetch (the refresh cookie carried by
// hand) through the same calls the hosted pages make.
import assert from 'node:assert/strict';
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import * as client from 'openid-client';
import type { ClientInput } from '../../src/modules/oidc/index.ts';
import { startUiServer, type UiServer } from './ui.ts';
import type { TestAppOptions } from './app.ts';

export async function startProvider(opts: TestAppOptions = {}): Promise<UiServer> {
  return startUiServer({ ...opts, env: { AUTH_WEBHOOK_ALLOW_PRIVATE: 'true', AUTH_INTROSPECTION_SECRET: 'introspection-secret-for-the-oidc-tests-0123456789', ...opts.env } });
}

export interface Rp {
  clientId: string;
  clientSecret: string | null;
  redirectUri: string;
  config: client.Configuration;
}

/** Registers a client and discovers the provider with openid-client (plain http allowed: tests). */
export async function relyingParty(s: UiServer, input: Partial<ClientInput> & { redirectUri?: string } = {}): Promise<Rp> {
  const redirectUri = input.redirectUri ?? `http://localhost:9/cb/${Math.random().toString(36).slice(2)}`;
  const { client: c, clientSecret } = await s.t.deps.oidc.clients.create({ name: 'Test app', redirectUris: [redirectUri], ...input });
  const config = await client.discovery(new URL(s.origin), c.clientId, clientSecret ?? undefined, clientSecret ? undefined : client.None(), { execute: [client.allowInsecureRequests] });
  return { clientId: c.clientId, clientSecret, redirectUri, config };
}

/** A browser: its refresh cookie, kept by hand. */
export class Browser {
  cookie: string | undefined;
  constructor(readonly s: UiServer) {}

  async signIn(identifier: { email: string; password: string }): Promise<Response> {
    const res = await fetch(`${this.s.origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: this.s.origin }, body: JSON.stringify(identifier) });
    this.keep(res);
    return res;
  }

  keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const m = /^refresh_token=([^;]*)/.exec(c);
      if (m) this.cookie = m[1] ? m[1] : undefined;
    }
  }

  /** GET a URL without following redirects. */
  get(url: string): Promise<Response> {
    return fetch(url, { redirect: 'manual', headers: this.cookie ? { cookie: `refresh_token=${this.cookie}` } : {} });
  }

  /** The hosted page's call: what the kept request needs next. */
  async next(request: string, decision?: 'approve' | 'deny'): Promise<{ status: number; body: Record<string, any> }> {
    const res = await fetch(`${this.s.origin}/auth/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: this.s.origin, ...(this.cookie ? { cookie: `refresh_token=${this.cookie}` } : {}) },
      body: JSON.stringify(decision ? { request, decision } : { request }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  /**
   * Opens an authorization URL and follows the hosted steps as the page script would,
   * approving a consent when `approve`; returns the final answer ('sign_in' when the
   * browser must sign in first).
   */
  async authorize(url: URL, { approve = true } = {}): Promise<{ kind: 'redirect' | 'sign_in' | 'page'; location: string; status?: number; body?: string }> {
    const first = await this.get(url.href);
    if (first.status !== 302) return { kind: 'page', location: '', status: first.status, body: await first.text() };
    const location = first.headers.get('location')!;
    const m = /^\/ui\/oauth2\/authorize\?request=([A-Za-z0-9_-]+)$/.exec(location);
    if (!m) return { kind: 'redirect', location };
    let step = await this.next(m[1]!);
    assert.equal(step.status, 200, JSON.stringify(step.body));
    if (step.body.action === 'consent') {
      assert.ok(approve, 'a consent was asked');
      step = await this.next(m[1]!, 'approve');
    }
    return { kind: step.body.action, location: step.body.location };
  }
}

export async function pkce() {
  const verifier = client.randomPKCECodeVerifier();
  return { verifier, challenge: await client.calculatePKCECodeChallenge(verifier), state: client.randomState(), nonce: client.randomNonce() };
}

export function authorizationUrl(rp: Rp, p: { challenge: string; state: string; nonce: string }, extra: Record<string, string> = {}): URL {
  return client.buildAuthorizationUrl(rp.config, { redirect_uri: rp.redirectUri, scope: 'openid profile email', code_challenge: p.challenge, code_challenge_method: 'S256', state: p.state, nonce: p.nonce, ...extra });
}

/** Checks a JWT's signature against the provider's published JWKS (openid-client does not for token-endpoint ID tokens). */
export async function assertSignedByJwks(s: UiServer, jwt: string): Promise<Record<string, any>> {
  const [h, p, sig] = jwt.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { kid: string; alg: string };
  const jwks = (await (await fetch(`${s.origin}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, any>> };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, 'the signing key is published');
  const key = createPublicKey({ key: jwk as any, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(sig, 'base64url');
  const ok = header.alg === 'EdDSA' ? cryptoVerify(null, data, key, signature)
    : header.alg === 'ES256' ? cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
      : cryptoVerify('sha256', data, key, signature);
  assert.ok(ok, 'the signature verifies with the JWKS key');
  return JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, any>;
}

export { client };
