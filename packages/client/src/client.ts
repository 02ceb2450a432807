// The Tessera client: sign-up and sign-in (a second factor is a typed result, not an
// exception), the signed-in user, sessions, MFA, magic links and email codes, OAuth
// redirects, and a `fetch` that attaches the access token and refreshes it shortly
// before it expires, one refresh at a time across every tab of the browser.
import { SESSION_ENDED, TesseraError } from './errors.ts';
import { expiryOf } from './jwt.ts';
import { credentialToJson, creationOptions, requestOptions } from './webauthn.ts';
import { memoryStorage, type TokenStorage } from './storage.ts';
import { TabCoordinator, type SharedSession, type TabMessage } from './tabs.ts';

export interface User {
  id: string;
  /** null for an account without an address (a server with AUTH_EMAIL_REQUIRED=false). */
  email: string | null;
  username: string;
  role: string;
  [key: string]: unknown;
}

/** What POST /auth/register takes. */
export interface SignUpInput {
  username: string;
  password: string;
  /** Required unless the server runs with AUTH_EMAIL_REQUIRED=false. */
  email?: string;
  locale?: string;
  /** Any JSON object (bounded by the server's AUTH_METADATA_MAX_DEPTH and _MAX_BYTES). */
  metadata?: Record<string, unknown>;
  captchaToken?: string;
}

export type AuthEvent = 'INITIAL_SESSION' | 'SIGNED_IN' | 'SIGNED_OUT' | 'TOKEN_REFRESHED' | 'USER_UPDATED';

/** An organization (with the user's role in lists of their own). */
export interface Organization { id: string; name: string; slug: string; logoUrl: string | null; metadata: Record<string, unknown>; createdAt: string; updatedAt: string; role?: string; joinedAt?: string }
export interface OrganizationMember { userId: string; username: string; email: string | null; role: string; joinedAt: string }
/** The session's active organization, as the access token carries it. */
export interface ActiveOrganization { id: string; slug: string; role: string; permissions: string[] }

export interface Session {
  accessToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  user: User | null;
}

export type SignInResult =
  | { status: 'signed_in'; user: User; session: Session }
  | { status: 'mfa_required'; verificationId: string; methods: string[]; expiresAt: string }
  | { status: 'mfa_enrollment_required'; enrollmentToken: string }
  | { status: 'password_expired'; passwordChangeToken: string; expiresAt: string };

/**
 * The proof of an emailed message: the token of its link, the id of the request and the
 * code, or the address and the code.
 */
export type EmailProof = { token: string } | { id: string; code: string } | { email: string; code: string };

/** Step-up proof for sensitive changes (docs/api.md, step-up). */
export type Reauthentication = { password: string } | { method: 'totp' | 'recovery'; code: string } | { verificationId: string; code: string };

export interface ClientOptions {
  /** The Tessera server, e.g. `https://auth.example.com`. */
  url: string;
  /**
   * `web` keeps the refresh token in the server's HttpOnly cookie (browsers); `native`
   * keeps it in `storage` and sends it in request bodies. Default: `web` in a browser.
   */
  client?: 'web' | 'native';
  /** Native clients: where the refresh token is kept (default: memory). */
  storage?: TokenStorage;
  /** Seconds before expiry at which the access token is refreshed (default 30). */
  refreshMargin?: number;
  /** Refresh on a timer before expiry (default true); otherwise only when a call needs it. */
  autoRefresh?: boolean;
  /**
   * Share the session with the other tabs of the origin and refresh once for all of them
   * (Web Locks, else BroadcastChannel). Default: on for `web`, off for `native`.
   */
  shareAcrossTabs?: boolean;
  fetch?: typeof fetch;
}

const REFRESH_KEY = 'tessera.refreshToken';
type Json = Record<string, unknown>;

export function createClient(options: ClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const isBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  const kind = options.client ?? (isBrowser ? 'web' : 'native');
  const storage = options.storage ?? memoryStorage();
  const margin = (options.refreshMargin ?? 30) * 1000;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const listeners = new Set<(event: AuthEvent, session: Session | null) => void>();
  let session: Session | null = null;
  /** Verification ids of the accounts this client registered, by address (proof of being the registrant). */
  const registered = new Map<string, string>();
  /** When this tab last received a session (its own sign-in or refresh, or another tab's). */
  let obtainedAt = 0;
  let inflight: Promise<Session | null> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const tabs = new TabCoordinator(`tessera:${base}`, (m: TabMessage) => {
    if (m.type === 'session') adopt(m.session as Session, 'TOKEN_REFRESHED', false);
    else if (m.type === 'signed_out') clear(false);
  }, options.shareAcrossTabs ?? kind === 'web');

  function emit(event: AuthEvent): void {
    for (const l of [...listeners]) l(event, session);
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!session || options.autoRefresh === false) return;
    const wait = Math.max(0, session.expiresAt - margin - Date.now());
    timer = setTimeout(() => { void refreshSession().catch(() => undefined); }, wait);
    (timer as { unref?: () => void }).unref?.();
  }

  function adopt(next: Session, event: AuthEvent, broadcast: boolean): void {
    const user = next.user ?? session?.user ?? null;
    session = { ...next, user };
    obtainedAt = Date.now();
    if (broadcast) tabs.post({ type: 'session', session: session as SharedSession });
    schedule();
    emit(event);
  }

  function clear(broadcast: boolean): void {
    const had = session !== null;
    session = null;
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (broadcast) tabs.post({ type: 'signed_out' });
    if (had || broadcast) emit('SIGNED_OUT');
  }

  /** The server says the session is over: forget it here and in every tab. */
  async function ended(): Promise<void> {
    if (kind === 'native') await storage.removeItem(REFRESH_KEY);
    clear(true);
  }

  const fresh = () => session !== null && session.expiresAt - margin > Date.now();

  /** One request to the server; error answers become TesseraError. */
  async function call(method: string, path: string, body?: unknown, init: { token?: string; allow?: number[] } = {}): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'include' });
    } catch (err) {
      throw new TesseraError('network_error', 0, (err as Error).message);
    }
    const text = await res.text();
    let parsed: Json = {};
    try {
      parsed = text ? (JSON.parse(text) as Json) : {};
    } catch { /* not JSON */ }
    if (!res.ok && !(init.allow ?? []).includes(res.status)) {
      throw new TesseraError(String(parsed.code ?? `http_${res.status}`), res.status, String(parsed.error ?? res.statusText), parsed);
    }
    return { status: res.status, body: parsed };
  }

  async function signedIn(body: Json, event: AuthEvent = 'SIGNED_IN'): Promise<Session> {
    const accessToken = String(body.accessToken);
    if (kind === 'native' && typeof body.refreshToken === 'string') await storage.setItem(REFRESH_KEY, body.refreshToken);
    adopt({ accessToken, expiresAt: expiryOf(accessToken), user: (body.user as User | undefined) ?? null }, event, true);
    return session!;
  }

  /** The answer of a sign-in step as a typed result. */
  async function signInResult(res: { status: number; body: Json }): Promise<SignInResult> {
    const b = res.body;
    if (res.status === 200 && typeof b.accessToken === 'string') {
      const s = await signedIn(b);
      if (!s.user) await getUser();
      return { status: 'signed_in', user: session!.user!, session: session! };
    }
    if (b.code === 'mfa_required') return { status: 'mfa_required', verificationId: String(b.verification_id), methods: b.methods as string[], expiresAt: String(b.expires_at) };
    if (b.code === 'mfa_enrollment_required') return { status: 'mfa_enrollment_required', enrollmentToken: String(b.enrollment_token) };
    if (b.code === 'password_expired') {
      const d = (b.details ?? {}) as Json;
      return { status: 'password_expired', passwordChangeToken: String(d.passwordChangeToken), expiresAt: String(d.expiresAt) };
    }
    throw new TesseraError(String(b.code ?? `http_${res.status}`), res.status, String(b.error ?? 'sign-in failed'), b);
  }

  /** Exchanges the refresh token (cookie or storage) for a new access token. */
  async function refreshNow(): Promise<void> {
    let body: Json | undefined;
    if (kind === 'native') {
      const stored = await storage.getItem(REFRESH_KEY);
      if (!stored) {
        clear(false);
        return;
      }
      body = { refreshToken: stored };
    }
    try {
      const res = await call('POST', '/auth/refresh', body);
      await signedIn(res.body, session ? 'TOKEN_REFRESHED' : 'SIGNED_IN');
    } catch (err) {
      if (err instanceof TesseraError && SESSION_ENDED.has(err.code)) {
        await ended();
        return;
      }
      throw err;
    }
  }

  /**
   * A new access token now (or the one another tab just obtained). Resolves to the
   * session, or null when there is none any more (then every tab is signed out).
   */
  function refreshSession(): Promise<Session | null> {
    inflight ??= (async () => {
      const requestedAt = Date.now();
      try {
        // Another tab may have refreshed while this one waited its turn: its token is as good.
        await tabs.exclusive(() => session !== null && obtainedAt > requestedAt, refreshNow);
        return session;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  /** A valid access token, refreshed first when it is about to expire; null when signed out. */
  async function getAccessToken(): Promise<string | null> {
    if (fresh()) return session!.accessToken;
    if (!session && kind === 'native' && !(await storage.getItem(REFRESH_KEY))) return null;
    return (await refreshSession())?.accessToken ?? null;
  }

  /** `fetch` with the access token attached; one retry after a refresh when the token was refused. */
  async function authFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const send = async (token: string | null) => {
      const headers = new Headers(init.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      return doFetch(input, { ...init, headers });
    };
    const token = await getAccessToken();
    const res = await send(token);
    if (res.status !== 401 || !token) return res;
    const again = await refreshSession();
    return again ? send(again.accessToken) : res;
  }

  /** A request to Tessera as the signed-in user. */
  async function authed(method: string, path: string, body?: unknown): Promise<Json> {
    const token = await getAccessToken();
    if (!token) throw new TesseraError('unauthorized', 401, 'Not signed in');
    try {
      return (await call(method, path, body, { token })).body;
    } catch (err) {
      if (!(err instanceof TesseraError) || err.status !== 401) throw err;
      if (SESSION_ENDED.has(err.code)) {
        await ended();
        throw err;
      }
      const again = await refreshSession();
      if (!again) throw err;
      return (await call(method, path, body, { token: again.accessToken })).body;
    }
  }

  /** The signed-in user, read from the server; null when signed out. */
  async function getUser(): Promise<User | null> {
    let user: User;
    try {
      user = (await authed('GET', '/auth/me')) as User;
    } catch (err) {
      if (err instanceof TesseraError && err.code === 'unauthorized' && err.status === 401 && !session) return null;
      throw err;
    }
    if (session) {
      session = { ...session, user };
      tabs.post({ type: 'session', session: session as SharedSession });
      emit('USER_UPDATED');
    }
    return user;
  }

  const clientField = { client: kind };

  /** An MFA enrollment step: as the signed-in user, or with a sign-in's enrollment token (which may sign in). */
  async function enrolling(path: string, body: Json, enrollmentToken?: string): Promise<Json> {
    if (!enrollmentToken) return authed('POST', path, body);
    const b = (await call('POST', path, { ...body, enrollmentToken })).body;
    if (typeof b.accessToken === 'string') {
      await signedIn(b);
      if (!session?.user) await getUser();
    }
    return b;
  }

  function webauthn(): CredentialsContainer {
    const creds = (globalThis as { navigator?: { credentials?: CredentialsContainer } }).navigator?.credentials;
    if (!creds || typeof (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential === 'undefined') {
      throw new TesseraError('passkey_unsupported', 0, 'This environment has no WebAuthn');
    }
    return creds;
  }

  return {
    /** `web` or `native`. */
    kind,
    /** The current session (access token and user), without any request. */
    getSession: (): Session | null => session,
    /**
     * Restores the session at start-up: the cookie (web) or the stored refresh token
     * (native). Emits INITIAL_SESSION either way.
     */
    async initialize(): Promise<Session | null> {
      try {
        await refreshSession();
        if (session && !session.user) await getUser();
      } catch (err) {
        if (!(err instanceof TesseraError) || err.status === 0 || err.status >= 500) throw err;
      }
      emit('INITIAL_SESSION');
      return session;
    },
    /** Listens to sign-in, sign-out, refresh and user changes; returns the unsubscribe function. */
    onAuthStateChange(listener: (event: AuthEvent, session: Session | null) => void): () => void {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    /** Creates an account. The server does not sign it in; call signIn (or verify the email first). */
    /**
     * Creates an account (it does not sign in). `username` is always needed; `email` too,
     * unless the server runs with AUTH_EMAIL_REQUIRED=false. `metadata` is stored on the
     * user (returned by getUser() as `metadata`, given to the custom-claims hook).
     * @example await auth.signUp({ username: 'ada', email: 'ada@example.com', password, metadata: { plan: 'pro' } })
     */
    async signUp(input: SignUpInput): Promise<{ user: User; verification: { id: string; expiresAt: string } | null; [key: string]: unknown }> {
      const body: Record<string, unknown> = { username: input.username, password: input.password };
      for (const k of ['email', 'locale', 'metadata', 'captchaToken'] as const) if (input[k] !== undefined) body[k] = input[k];
      const out = (await call('POST', '/auth/register', body)).body as { user: User; verification: { id: string; expiresAt: string } | null };
      // The verification's id proves, with the emailed code, that the one verifying is the
      // one who registered (the server then keeps the password; see docs/security.md).
      if (out.verification && typeof input.email === 'string') registered.set(input.email.trim().toLowerCase(), out.verification.id);
      return out;
    },
    /** Password sign-in by email or username. A second factor is a result, not an error. */
    /** `organization` (id or slug) starts the session in that organization (its tokens carry `org_id`). */
    async signIn(input: { email?: string; username?: string; password: string; captchaToken?: string; organization?: string }): Promise<SignInResult> {
      return signInResult(await call('POST', '/auth/login', { ...input, ...clientField }, { allow: [401, 403] }));
    },
    /** Completes a sign-in that answered `mfa_required`. */
    async verifyMfa(input: { verificationId: string; code: string; method: string }): Promise<SignInResult> {
      return signInResult(await call('POST', '/auth/login/mfa', { verification_id: input.verificationId, code: input.code, method: input.method }, { allow: [401, 403] }));
    },
    /** Sends the code of another method during an MFA sign-in. */
    async sendMfaCode(input: { verificationId: string; method: string }): Promise<void> {
      await call('POST', '/auth/login/mfa/send', { verification_id: input.verificationId, method: input.method });
    },
    /** Signs out on this device's session everywhere (the server ends every session of the user) and in every tab. */
    async signOut(): Promise<void> {
      try {
        const token = session && fresh() ? session.accessToken : undefined;
        const stored = kind === 'native' ? await storage.getItem(REFRESH_KEY) : null;
        await call('POST', '/auth/logout', stored ? { refreshToken: stored } : undefined, { ...(token ? { token } : {}), allow: [401] });
      } finally {
        if (kind === 'native') await storage.removeItem(REFRESH_KEY);
        clear(true);
      }
    },
    getUser,
    getAccessToken,
    refreshSession,
    /** `fetch` for your API: the access token attached and kept fresh. */
    fetch: authFetch,
    sessions: {
      list: async () => (await authed('GET', '/auth/sessions')) as { sessions: Json[] },
      current: async () => authed('GET', '/auth/sessions/current'),
      revoke: async (id: string) => { await authed('DELETE', `/auth/sessions/${encodeURIComponent(id)}`); },
      /** Signs out every other session of the user. */
      revokeOthers: async () => { await authed('DELETE', '/auth/sessions'); },
    },
    /** Deletes the account with its sessions (needs a recent sign-in), then signs out everywhere. */
    async deleteUser(): Promise<void> {
      await authed('DELETE', '/auth/me');
      await ended();
    },
    /**
     * Proves the user's presence again, for changes that need a recent sign-in
     * (`reauthentication_required`).
     */
    async reauthenticate(proof: Reauthentication): Promise<void> {
      const body = 'verificationId' in proof ? { verification_id: proof.verificationId, code: proof.code } : proof;
      await authed('POST', '/auth/reauthenticate', body);
    },
    /** Sends an email or SMS code for reauthenticate({verificationId, code}). */
    async sendReauthenticationCode(method: 'email' | 'sms'): Promise<{ verificationId: string; expiresAt: string }> {
      const b = await authed('POST', '/auth/reauthenticate/send', { method });
      return { verificationId: String(b.verification_id), expiresAt: String(b.expires_at) };
    },
    email: {
      /** Confirms the address with the emailed link's token or code. */
      verify: async (proof: EmailProof) => {
        // A code for an address this client registered goes with the registration's id
        // (still valid after a resend).
        const p = proof as { email?: string; code?: string };
        const id = p.email !== undefined && p.code !== undefined ? registered.get(p.email.trim().toLowerCase()) : undefined;
        return (await call('POST', '/auth/verify-email', id ? { ...proof, registrationId: id } : proof)).body as { message: string; user: User & { credentialsCleared?: true } };
      },
      /** Sends the verification message again (the same answer for every address). */
      resendVerification: async (email: string) => { await call('POST', '/auth/verify-email/resend', { email }); },
      /** Asks to move the account to a new address; nothing changes until it is confirmed. */
      change: async (newEmail: string) => (await authed('POST', '/auth/email/change', { newEmail })) as { message: string; id: string; expiresAt: string },
      /** Confirms the change with the proof mailed to the new address. */
      confirmChange: async (proof: EmailProof) => {
        const b = await call('POST', '/auth/email/change/confirm', proof);
        if (session) await getUser();
        return b.body;
      },
    },
    mfa: {
      list: async () => (await authed('GET', '/auth/mfa')) as { factors: { id: string; type: string; createdAt: string; lastUsedAt: string | null; phone?: string }[]; recoveryCodesRemaining: number },
      /**
       * Starts TOTP enrollment: the secret, its otpauth URI and QR code. During a sign-in
       * that answered `mfa_enrollment_required`, pass its enrollment token.
       */
      setupTotp: async (opts: { enrollmentToken?: string } = {}) => (await enrolling('/auth/mfa/totp/setup', {}, opts.enrollmentToken)) as { factorId: string; secret: string; uri: string; qrCode: { svg: string; dataUrl: string } },
      /**
       * Activates TOTP with its first code; the answer holds the recovery codes. With an
       * enrollment token this also signs in.
       */
      verifyTotp: async (code: string, opts: { enrollmentToken?: string } = {}) => (await enrolling('/auth/mfa/totp/verify', { code }, opts.enrollmentToken)) as { factorId: string; recoveryCodes: string[] },
      /** Makes the verified email address a factor. */
      enableEmail: async () => authed('POST', '/auth/mfa/email', {}),
      /** Texts a code to the number (E.164); verifySms makes it a factor. */
      enrollSms: async (phone: string, opts: { enrollmentToken?: string } = {}) => {
        const b = await enrolling('/auth/mfa/sms/enroll', { phone }, opts.enrollmentToken);
        return { verificationId: String(b.verification_id), expiresAt: String(b.expires_at) };
      },
      verifySms: async (verificationId: string, code: string, opts: { enrollmentToken?: string } = {}) => enrolling('/auth/mfa/sms/verify', { verification_id: verificationId, code }, opts.enrollmentToken),
      /** Replaces the recovery codes (needs a recent sign-in). */
      regenerateRecoveryCodes: async () => (await authed('POST', '/auth/mfa/recovery-codes', {})) as { recoveryCodes: string[] },
      /** Removes a factor (needs a recent sign-in). */
      remove: async (id: string) => { await authed('DELETE', `/auth/mfa/${encodeURIComponent(id)}`); },
    },
    passkeys: {
      list: async () => (await authed('GET', '/auth/passkeys')) as { passkeys: Json[] },
      rename: async (id: string, name: string) => authed('PATCH', `/auth/passkeys/${encodeURIComponent(id)}`, { name }),
      /** Removes a passkey (needs a recent sign-in). */
      remove: async (id: string) => { await authed('DELETE', `/auth/passkeys/${encodeURIComponent(id)}`); },
      /** Browsers: creates a passkey on this device for the signed-in user. */
      async register(opts: { name?: string } = {}): Promise<Json> {
        const options = await authed('POST', '/auth/passkeys/register/options', {});
        const credential = await webauthn().create({ publicKey: creationOptions(options) });
        if (!credential) throw new TesseraError('passkey_cancelled', 0, 'No passkey was created');
        return authed('POST', '/auth/passkeys/register/verify', { response: credentialToJson(credential as PublicKeyCredential), ...(opts.name ? { name: opts.name } : {}) });
      },
      /**
       * Browsers: signs in with a passkey. Without arguments the browser offers the
       * device's passkeys for this site; with `verificationId` it is the second factor of
       * a sign-in that answered `mfa_required`.
       */
      async signIn(opts: { email?: string; username?: string; verificationId?: string } = {}): Promise<SignInResult> {
        const body = opts.verificationId ? { verification_id: opts.verificationId } : opts.email ? { email: opts.email } : opts.username ? { username: opts.username } : undefined;
        const options = (await call('POST', '/auth/passkeys/login/options', body)).body;
        const credential = await webauthn().get({ publicKey: requestOptions(options) });
        if (!credential) throw new TesseraError('passkey_cancelled', 0, 'No passkey was chosen');
        return signInResult(await call('POST', '/auth/passkeys/login/verify', { response: credentialToJson(credential as PublicKeyCredential), ...clientField }, { allow: [401, 403] }));
      },
    },
    magicLink: {
      /** Mails a sign-in link (the same answer whether or not the address has an account). */
      send: async (input: { email: string; redirectTo?: string; locale?: string }) => { await call('POST', '/auth/magic-link', { ...input, ...clientField }); },
      /** Redeems a link's token (native apps, or pages that receive it). */
      verify: async (token: string) => signInResult(await call('POST', '/auth/magic-link/verify', { token, ...clientField }, { allow: [401, 403] })),
    },
    emailCode: {
      send: async (email: string) => { await call('POST', '/auth/email-code', { email }); },
      verify: async (email: string, code: string) => signInResult(await call('POST', '/auth/email-code/verify', { email, code, ...clientField }, { allow: [401, 403] })),
    },
    password: {
      /** Mails a reset link and code (the same answer whether or not the account exists). */
      forgot: async (email: string) => { await call('POST', '/auth/password/forgot', { email }); },
      /** Sets a new password with the emailed proof; every session of the user ends. */
      reset: async (proof: EmailProof, password: string) => { await call('POST', '/auth/password/reset', { ...proof, password }); },
      /** Replaces an expired password (the token of a `password_expired` result) and signs in. */
      setExpired: async (passwordChangeToken: string, newPassword: string) => signInResult(await call('POST', '/auth/password/expired', { token: passwordChangeToken, newPassword, ...clientField }, { allow: [401, 403] })),
      /** Changes the password (needs a recent sign-in); the other sessions end. */
      change: async (currentPassword: string, newPassword: string) => { await authed('POST', '/auth/password/change', { currentPassword, newPassword }); },
      /** The active password rules, for a sign-up form. */
      policy: async () => (await call('GET', '/auth/password-policy')).body,
    },
    oauth: {
      /** The URL that starts a social sign-in in the browser (a redirect to the provider). */
      url(provider: string, opts: { redirectTo?: string } = {}): string {
        const q = new URLSearchParams();
        if (opts.redirectTo) q.set('redirectTo', opts.redirectTo);
        const qs = q.toString();
        return `${base}/auth/oauth/${encodeURIComponent(provider)}${qs ? `?${qs}` : ''}`;
      },
      /** Browsers: goes to the provider to sign in (the page unloads). */
      redirect(provider: string, opts: { redirectTo?: string } = {}): void {
        (globalThis as unknown as { location: { assign(u: string): void } }).location.assign(this.url(provider, opts));
      },
      /**
       * The provider URL that links the provider to the signed-in user (the request carries
       * the access token); browsers then go there, and come back to `redirectTo?linked=<provider>`.
       */
      async linkUrl(provider: string, opts: { redirectTo?: string } = {}): Promise<string> {
        const q = new URLSearchParams({ link: 'true', ...(opts.redirectTo ? { redirectTo: opts.redirectTo } : {}) });
        return String((await authed('GET', `/auth/oauth/${encodeURIComponent(provider)}?${q}`)).url);
      },
      /** The providers the server offers, for a sign-in page. */
      providers: async () => ((await call('GET', '/auth/oauth/providers')).body as { providers: { name: string; displayName: string; kind: string }[] }).providers,
    },
    identities: {
      /** The user's linked providers. */
      list: async () => ((await authed('GET', '/auth/identities')) as { identities: Json[] }).identities,
      /** Unlinks a provider (refused when it is the last way to sign in). */
      unlink: async (provider: string) => { await authed('DELETE', `/auth/identities/${encodeURIComponent(provider)}`); },
      /** A valid access token of the provider, to call its API for the user. */
      providerToken: async (provider: string) => (await authed('GET', `/auth/identities/${encodeURIComponent(provider)}/token`)) as { provider: string; accessToken: string; tokenType: string; expiresAt: string | null; scopes: string[] },
    },
    organizations: {
      /** The user's organizations, with their role in each. */
      list: async () => ((await authed('GET', '/auth/organizations')) as { organizations: Organization[] }).organizations,
      create: async (input: { name: string; slug?: string; logoUrl?: string | null; metadata?: Json }) => (await authed('POST', '/auth/organizations', input)) as unknown as Organization,
      get: async (id: string) => (await authed('GET', `/auth/organizations/${encodeURIComponent(id)}`)) as unknown as Organization,
      update: async (id: string, input: { name?: string; slug?: string; logoUrl?: string | null; metadata?: Json }) => (await authed('PATCH', `/auth/organizations/${encodeURIComponent(id)}`, input)) as unknown as Organization,
      remove: async (id: string) => { await authed('DELETE', `/auth/organizations/${encodeURIComponent(id)}`); },
      /** The organization roles with their effective permissions. */
      roles: async () => ((await authed('GET', '/auth/organizations/roles')) as { roles: Json[] }).roles,
      members: async (id: string) => ((await authed('GET', `/auth/organizations/${encodeURIComponent(id)}/members`)) as { members: OrganizationMember[] }).members,
      updateMember: async (id: string, userId: string, role: string) => (await authed('PATCH', `/auth/organizations/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`, { role })) as unknown as OrganizationMember,
      removeMember: async (id: string, userId: string) => { await authed('DELETE', `/auth/organizations/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`); },
      leave: async (id: string) => { await authed('POST', `/auth/organizations/${encodeURIComponent(id)}/leave`, {}); },
      transferOwnership: async (id: string, userId: string) => ((await authed('POST', `/auth/organizations/${encodeURIComponent(id)}/transfer`, { userId })) as { members: OrganizationMember[] }).members,
      invite: async (id: string, email: string, role?: string) => authed('POST', `/auth/organizations/${encodeURIComponent(id)}/invitations`, { email, ...(role ? { role } : {}) }),
      invitations: async (id: string) => ((await authed('GET', `/auth/organizations/${encodeURIComponent(id)}/invitations`)) as { invitations: Json[] }).invitations,
      revokeInvitation: async (id: string, invitationId: string) => { await authed('DELETE', `/auth/organizations/${encodeURIComponent(id)}/invitations/${encodeURIComponent(invitationId)}`); },
      /** Pending invitations to the user's own address. */
      myInvitations: async () => ((await authed('GET', '/auth/organizations/invitations')) as { invitations: Json[] }).invitations,
      /** What an invitation token invites to (no session needed). */
      lookupInvitation: async (token: string) => (await call('POST', '/auth/organizations/invitations/lookup', { token })).body,
      acceptInvitation: async (token: string) => authed('POST', '/auth/organizations/invitations/accept', { token }),
      /** Creates the invited account (no session needed); then sign in. */
      signUpWithInvitation: async (input: { token: string; username: string; password: string; locale?: string }) => (await call('POST', '/auth/organizations/invitations/sign-up', input)).body,
      /** The session's active organization, or null. */
      active: async () => ((await authed('GET', '/auth/organizations/active')) as { organization: ActiveOrganization | null }).organization,
      /**
       * Makes an organization (id) the active one of this session, or none with null: the
       * new access token (carrying `org_id`, `org_role`, `org_permissions`) replaces the
       * current one in every tab, and listeners hear TOKEN_REFRESHED.
       */
      async setActive(id: string | null): Promise<ActiveOrganization | null> {
        const b = await authed('POST', id === null ? '/auth/organizations/deactivate' : `/auth/organizations/${encodeURIComponent(id)}/activate`, {});
        await signedIn({ accessToken: b.accessToken } as Json, 'TOKEN_REFRESHED');
        return (b.organization as ActiveOrganization | null) ?? null;
      },
    },
    /** Stops timers and the tab channel (tests, hot reload). */
    dispose(): void {
      if (timer) clearTimeout(timer);
      listeners.clear();
      tabs.close();
    },
  };
}

export type TesseraClient = ReturnType<typeof createClient>;
