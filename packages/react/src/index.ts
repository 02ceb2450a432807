// @tessera/react: an AuthProvider that owns one Tessera client and a useAuth() hook that
// re-renders on sign-in, sign-out, refresh and user changes (in this tab or another).
import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { createClient, jwtPayload, type ActiveOrganization, type ClientOptions, type Session, type TesseraClient, type User } from '@tessera/client';

export type { Session, SignInResult, SignUpInput, TesseraClient, User, Organization, OrganizationMember, ActiveOrganization } from '@tessera/client';
export { TesseraError } from '@tessera/client';

export interface AuthState {
  /** The signed-in user, or null. */
  user: User | null;
  /** The current session (access token, expiry, user), or null. */
  session: Session | null;
  /** True until the client has restored (or failed to restore) the session at start-up. */
  loading: boolean;
  /** The last error of initialize(), if any (a network failure, a server error). */
  error: Error | null;
  /** The client itself, for everything the hook does not spell out. */
  client: TesseraClient;
  signIn: TesseraClient['signIn'];
  signUp: TesseraClient['signUp'];
  signOut: TesseraClient['signOut'];
  verifyMfa: TesseraClient['verifyMfa'];
  getAccessToken: TesseraClient['getAccessToken'];
  /** The current access token (it changes with each refresh), or null when signed out. */
  token: string | null;
  /** A new access token now (client.refreshSession); resolves to the session, or null. */
  refresh: TesseraClient['refreshSession'];
  /** Browsers: goes to the provider to sign in (client.oauth.redirect; the page unloads). */
  signInWithProvider: (provider: string, opts?: { redirectTo?: string }) => void;
  /** Starts a TOTP enrollment: secret, URI and QR code (client.mfa.setupTotp). */
  enableTotp: TesseraClient['mfa']['setupTotp'];
  /** Confirms the TOTP enrollment with a code from the app (client.mfa.verifyTotp). */
  verifyTotp: TesseraClient['mfa']['verifyTotp'];
  /** Sends a code to a phone number to enroll it (client.mfa.enrollSms). */
  enableSmsMfa: TesseraClient['mfa']['enrollSms'];
  /** Confirms the phone number with the code sent to it (client.mfa.verifySms). */
  verifySmsMfa: TesseraClient['mfa']['verifySms'];
  /** `fetch` with the access token attached and kept fresh. */
  fetch: TesseraClient['fetch'];
  /** Reads the user again from the server. */
  refreshUser: () => Promise<User | null>;
}

export type AuthProviderProps = {
  children?: ReactNode;
} & (
  | { /** A client you created (shared with non-React code); the provider does not dispose it. */ client: TesseraClient; url?: never; options?: never }
  | { /** The Tessera server; the provider creates and disposes its own client. */ url: string; options?: Omit<ClientOptions, 'url'>; client?: never }
);

const AuthContext = createContext<AuthState | null>(null);

interface Snapshot {
  session: Session | null;
  loading: boolean;
  error: Error | null;
}

export function AuthProvider(props: AuthProviderProps): ReactNode {
  const { children } = props;
  const [client] = useState<TesseraClient>(() => props.client ?? createClient({ ...(props.options ?? {}), url: props.url! }));
  const owned = props.client === undefined;
  const [snap, setSnap] = useState<Snapshot>(() => ({ session: client.getSession(), loading: true, error: null }));

  useEffect(() => {
    let live = true;
    const off = client.onAuthStateChange((_event, session) => {
      if (live) setSnap((s) => ({ ...s, session }));
    });
    client.initialize().then(
      (session) => { if (live) setSnap({ session, loading: false, error: null }); },
      (err: unknown) => { if (live) setSnap({ session: client.getSession(), loading: false, error: err instanceof Error ? err : new Error(String(err)) }); },
    );
    return () => {
      live = false;
      off();
      if (owned) client.dispose();
    };
  }, [client, owned]);

  const refreshUser = useCallback(() => client.getUser(), [client]);
  const signInWithProvider = useCallback((provider: string, opts?: { redirectTo?: string }) => client.oauth.redirect(provider, opts), [client]);
  const value = useMemo<AuthState>(() => ({
    user: snap.session?.user ?? null,
    session: snap.session,
    loading: snap.loading,
    error: snap.error,
    client,
    signIn: client.signIn,
    signUp: client.signUp,
    signOut: client.signOut,
    verifyMfa: client.verifyMfa,
    getAccessToken: client.getAccessToken,
    token: snap.session?.accessToken ?? null,
    refresh: client.refreshSession,
    signInWithProvider,
    enableTotp: client.mfa.setupTotp,
    verifyTotp: client.mfa.verifyTotp,
    enableSmsMfa: client.mfa.enrollSms,
    verifySmsMfa: client.mfa.verifySms,
    fetch: client.fetch,
    refreshUser,
  }), [snap, client, refreshUser, signInWithProvider]);

  return createElement(AuthContext.Provider, { value }, children);
}

/** The auth state of the nearest AuthProvider. */
export function useAuth(): AuthState {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth() must be used inside <AuthProvider>');
  return value;
}

/** The signed-in user, or null (a shorthand for useAuth().user). */
export function useUser(): User | null {
  return useAuth().user;
}


export interface OrganizationState {
  /** The session's active organization as the current access token carries it, or null. */
  organization: ActiveOrganization | null;
  /** Switches the active organization (null: none); every useOrganization() re-renders with the new token. */
  setActive: (id: string | null) => Promise<ActiveOrganization | null>;
  /** The rest of the organizations API (list, create, members, invitations...). */
  organizations: TesseraClient['organizations'];
}

/** The active organization of the session (from the access token's `org_*` claims) and its switch. */
export function useOrganization(): OrganizationState {
  const { session, client } = useAuth();
  const token = session?.accessToken;
  const organization = useMemo<ActiveOrganization | null>(() => {
    const p = token ? jwtPayload(token) : {};
    return typeof p.org_id === 'string'
      ? { id: p.org_id, slug: String(p.org_slug ?? ''), role: String(p.org_role ?? ''), permissions: Array.isArray(p.org_permissions) ? (p.org_permissions as string[]) : [] }
      : null;
  }, [token]);
  const setActive = useCallback((id: string | null) => client.organizations.setActive(id), [client]);
  return useMemo(() => ({ organization, setActive, organizations: client.organizations }), [organization, setActive, client]);
}
