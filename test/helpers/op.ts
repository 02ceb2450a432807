// A real OpenID Provider in process (panva's oidc-provider) with its development login and
// consent forms, plus two small servers: one with GitHub's OAuth and REST shape, and one
// standing in for Apple's token endpoint (it checks Apple's signed client secret, then
// forwards to the OpenID Provider).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import Provider from 'oidc-provider';

export interface OpClient { client_id: string; client_secret: string; redirect_uris: string[] }
export interface OpAccount { email?: string; email_verified?: boolean; name?: string; picture?: string }

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://localhost:${(server.address() as { port: number }).port}`;
}
const close = (server: Server) => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = '';
    req.on('data', (d: Buffer) => { b += d.toString(); });
    req.on('end', () => resolve(b));
  });
}

export interface TestOP {
  issuer: string;
  accounts: Map<string, OpAccount>;
  /** Successful token requests by grant type. */
  grants: Record<string, number>;
  /** While set, the token endpoint answers 503 to refresh_token grants. */
  failRefresh: boolean;
  close(): Promise<void>;
}

/** oidc-provider on a free loopback port; refresh tokens for every client that has the grant, rotated at each use; token revocation. */
export async function startOP(clients: OpClient[], opts: { accessTokenTtl?: number } = {}): Promise<TestOP> {
  const accounts = new Map<string, OpAccount>();
  const grants: Record<string, number> = {};
  const server = createServer();
  const issuer = await listen(server);
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({ ...c, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' })),
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, ...(accounts.get(id) ?? {}) }) }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
    conformIdTokenClaims: false,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    pkce: { required: () => false },
    ttl: { AccessToken: opts.accessTokenTtl ?? 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 3600, Grant: 86400 },
    cookies: { keys: ['tessera-test-op-cookie-key'] },
    // Revocation (RFC 7009): an unlinked identity's tokens are revoked here.
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
  });
  const op: TestOP = { issuer, accounts, grants, failRefresh: false, close: () => close(server) };
  provider.on('grant.success', (ctx) => {
    const g = String((ctx.oidc.params as Record<string, unknown>).grant_type);
    grants[g] = (grants[g] ?? 0) + 1;
  });
  const handler = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (op.failRefresh && req.method === 'POST' && req.url === '/token') {
      // Peek at the grant without consuming the stream for the provider.
      void body(req).then((b) => {
        if (new URLSearchParams(b).get('grant_type') === 'refresh_token') {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"temporarily_unavailable"}');
          return;
        }
        res.writeHead(500).end();
      });
      return;
    }
    handler(req, res);
  });
  // oidc-provider warns about development keys and interactions; the tests know.
  provider.on('server_error', () => undefined);
  return op;
}

export interface FakeGitHub {
  url: string;
  users: Map<string, { user: Record<string, unknown>; emails: { email: string; primary: boolean; verified: boolean }[] }>;
  /** The login the next authorization approves. */
  nextLogin: string;
  exchanges: number;
  close(): Promise<void>;
}

/** GitHub's OAuth endpoints and REST API shape: PKCE and the client secret checked, codes single-use. */
export async function startGitHub(client: { id: string; secret: string }): Promise<FakeGitHub> {
  const codes = new Map<string, { login: string; challenge: string | null; redirect: string }>();
  const tokens = new Map<string, string>();
  const gh: FakeGitHub = { url: '', users: new Map(), nextLogin: '', exchanges: 0, close: async () => undefined };
  const server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, v: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (u.pathname === '/login/oauth/authorize') {
      const redirect = u.searchParams.get('redirect_uri')!;
      if (u.searchParams.get('client_id') !== client.id) return json(400, { error: 'unknown client' });
      const code = randomBytes(10).toString('hex');
      codes.set(code, { login: gh.nextLogin, challenge: u.searchParams.get('code_challenge'), redirect });
      const back = new URL(redirect);
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state') ?? '');
      return res.writeHead(302, { location: back.href }).end();
    }
    if (u.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      const p = new URLSearchParams(await body(req));
      const entry = codes.get(p.get('code') ?? '');
      codes.delete(p.get('code') ?? '');
      const verifier = p.get('code_verifier');
      const pkceOk = !entry?.challenge || (verifier && createHash('sha256').update(verifier).digest('base64url') === entry.challenge);
      if (!entry || p.get('client_secret') !== client.secret || p.get('client_id') !== client.id || !pkceOk || p.get('redirect_uri') !== entry.redirect) {
        return json(400, { error: 'invalid_grant', error_description: 'The code passed is incorrect or expired.' });
      }
      gh.exchanges++;
      const token = `gho_${randomBytes(16).toString('hex')}`;
      tokens.set(token, entry.login);
      return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }
    const login = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
    if (!login) return json(401, { message: 'Bad credentials' });
    const who = gh.users.get(login)!;
    if (u.pathname === '/user') return json(200, who.user);
    if (u.pathname === '/user/emails') return json(200, who.emails);
    return json(404, { message: 'Not Found' });
  });
  gh.url = await listen(server);
  gh.close = () => close(server);
  return gh;
}

export interface FakeAppleToken { url: string; teamId: string; keyId: string; privateKey: string; checked: number; close(): Promise<void> }

/**
 * Apple's token endpoint as far as the client secret goes: it must be an ES256 JWT by the
 * team's key (iss team id, sub client id, aud appleid.apple.com, unexpired); the request
 * then goes on to the OpenID Provider with the provider's own secret.
 */
export async function startAppleToken(op: TestOP, clientId: string, opSecret: string): Promise<FakeAppleToken> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const apple: FakeAppleToken = {
    url: '', teamId: 'TEAMID1234', keyId: 'KEYID56789', checked: 0,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), close: async () => undefined,
  };
  const pub = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }));
  const server = createServer(async (req, res) => {
    const p = new URLSearchParams(await body(req));
    const [h, pl, sig] = (p.get('client_secret') ?? '').split('.');
    const header = h ? JSON.parse(Buffer.from(h, 'base64url').toString()) : {};
    const claims = pl ? JSON.parse(Buffer.from(pl, 'base64url').toString()) : {};
    const now = Math.floor(Date.now() / 1000);
    const good = sig && header.alg === 'ES256' && header.kid === apple.keyId
      && verify('sha256', Buffer.from(`${h}.${pl}`), { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))
      && claims.iss === apple.teamId && claims.sub === clientId && claims.aud === 'https://appleid.apple.com' && claims.exp > now && claims.exp - claims.iat <= 15_777_000;
    if (!good) return res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
    apple.checked++;
    p.set('client_secret', opSecret);
    const upstream = await fetch(`${op.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: p.toString() });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(await upstream.text());
  });
  apple.url = `${await listen(server)}/auth/token`;
  apple.close = () => close(server);
  return apple;
}
