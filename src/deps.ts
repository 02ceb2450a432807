// The one composition root: configuration in, every long-lived dependency out. main.ts,
// the CLI and the tests build the service graph here; a test replaces one piece (the
// clock, the log stream) through `overrides` without a framework.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from './core/paths.ts';
import { randomBytes } from 'node:crypto';
import type { DestinationStream, Logger } from 'pino';
import { sql, type Kysely } from 'kysely';
import { Redis } from 'ioredis';
import { INVALIDATION_CHANNEL, LocalBus, PostgresBus, RedisBus, type InvalidationBus } from './core/cache/invalidation-bus.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { publicUrl, type Config } from './core/config/index.ts';
import { createEncrypter, createPasswordHasher, type PasswordHasher } from './core/crypto/index.ts';
import { connectDatabase, migrateIfPending, type DbKind } from './core/db/index.ts';
import { createRateLimiter, type CookieSettings, type RateLimiter } from './core/http/index.ts';
import { createLogger } from './core/logger.ts';
import type { Database } from './database.ts';
import {
  createAccountService, createAddressLimits, createBackground, createNotices, createOneTimeTokens, createPasswordlessService, createRedirectPolicy,
  type AccountService, type PasswordlessService, type RedirectPolicy,
} from './modules/account/index.ts';
import { createAuthService, type AuthService } from './modules/auth/index.ts';
import { createLockout } from './core/limits/lockout.ts';
import { createAccountFailures, createAddressClaim, createCaptcha, createPasswordSignIn, createSignInGate, type Captcha, type PasswordSignIn, type SignInGate } from './modules/sign-in/index.ts';
import { createLogSmsProvider, createMfaService, createSnsProvider, createTwilioProvider, type MfaService } from './modules/mfa/index.ts';
import { createPasskeysService, hasPasskeys, removeAllPasskeysIn, type PasskeysService } from './modules/passkeys/index.ts';
import { commonPasswords, createBreachChecker, createPasswordPolicy, type PasswordPolicy } from './modules/passwords/index.ts';
import { createLogTransport, createMailer, createMailOutbox, createSmtpTransport, loadTemplates, type MailOutbox, type Mailer } from './modules/mail/index.ts';
import { createRefreshTokenCodec, createSessionsService, noGeoLocator, openGeoLocator, type SessionsService } from './modules/sessions/index.ts';
import { createKeyStore, createTokensService, type KeyStore, type TokensService } from './modules/tokens/index.ts';
import { createUsersService, type UserRow, type UsersService } from './modules/users/index.ts';
import { bootstrapAdmin, createAdminService, type AdminService } from './modules/admin/index.ts';
import { createMetrics, type Metrics } from './modules/metrics/index.ts';
import { createAuditService, type AuditBatchRecorder, type AuditRecorder, type AuditService } from './modules/audit/index.ts';
import { createEventsService, createNatsPublisher, eventsOfAudit, eventsOfAuditNow, type EventsService } from './modules/events/index.ts';
import { createDeliveryWorker, createWebhooksService, fanOut, fanOutQuery, type DeliveryWorker, type WebhooksService } from './modules/webhooks/index.ts';
import { systemResolver, type HostResolver, type OutboundPolicy } from './core/net/index.ts';
import { createRbacService, type RbacService } from './modules/rbac/index.ts';
import { createServiceAccountsService, type ServiceAccountsService } from './modules/service-accounts/index.ts';
import { createHooks } from './modules/hooks/index.ts';
import { createFirebaseParamsLookup, createImporter, type Importer } from './modules/imports/index.ts';
import { countIdentitiesOf, createOAuthService, createProviderRegistry, createVault, removeAllIdentitiesIn, type OAuthService, type Vault } from './modules/oauth/index.ts';
import { createHousekeeping, type Housekeeping } from './modules/housekeeping/index.ts';
import { createOidcProvider, type OidcProvider } from './modules/oidc/index.ts';
import { verifyJwt } from './modules/tokens/index.ts';
import { createInvitations, createOrganizationsService, type Invitations, type OrganizationsService } from './modules/organizations/index.ts';

export interface Deps {
  config: Config;
  version: string;
  log: Logger;
  clock: Clock;
  db: Kysely<Database>;
  dbKind: DbKind;
  redis: Redis | undefined;
  bus: InvalidationBus;
  passwords: PasswordHasher;
  /** The general per-IP limit of credential endpoints. */
  limiter: RateLimiter;
  /** Per-group limits: sign-in (per IP and per identifier) and registration. */
  limits: { login: RateLimiter; signup: RateLimiter };
  policy: PasswordPolicy;
  captcha: Captcha | undefined;
  cookies: CookieSettings;
  users: UsersService;
  sessions: SessionsService;
  tokens: TokensService;
  /** Signing keys: list and rotate (the CLI). */
  keys: KeyStore;
  auth: AuthService;
  /** The one gate that starts sessions (every way in ends there). */
  gate: SignInGate;
  /** The password as a first factor. */
  passwordSignIn: PasswordSignIn;
  outbox: MailOutbox;
  mailer: Mailer;
  account: AccountService;
  mfa: MfaService;
  passkeys: PasskeysService;
  passwordless: PasswordlessService;
  redirects: RedirectPolicy;
  audit: AuditService;
  events: EventsService;
  webhooks: WebhooksService;
  webhookWorker: DeliveryWorker;
  oauth: OAuthService;
  /** The provider-token vault and its refresh worker. */
  oauthVault: Vault;
  rbac: RbacService;
  /** Organizations, their members and the active organization of sessions. */
  organizations: OrganizationsService;
  /** Invitations to organizations by email. */
  invitations: Invitations;
  serviceAccounts: ServiceAccountsService;
  /** Tessera as an OpenID Connect provider: clients, authorization, tokens, logout. */
  oidc: OidcProvider;
  admin: AdminService;
  /** `tessera import`: users from other systems. */
  importer: Importer;
  /** The hourly clean-up: pruning in bounded batches, one instance at a time. */
  housekeeping: Housekeeping;
  /** Prometheus metrics of this service graph. */
  metrics: Metrics;
  readinessChecks: Record<string, () => Promise<void>>;
  /** Checks whose failure leaves the service answering in a degraded mode (Redis). */
  degradedChecks: Record<string, () => Promise<void>>;
  /** Waits for work that continues after answers (queuing mail for address requests). */
  settle(): Promise<void>;
  /** Closes Redis and the database; idempotent. */
  close(): Promise<void>;
}

export interface DepsOverrides {
  clock?: Clock;
  logStream?: DestinationStream;
  log?: Logger;
  /** Skip applying migrations (the `migrate` command does it itself). */
  skipMigrations?: boolean;
  /** Do not start the mail and webhook delivery workers (messages stay queued for a server to send). */
  noMailWorker?: boolean;
  /** Start no background work at all, the event dispatcher included (the CLI: a server sends what it queues). */
  noWorkers?: boolean;
  /** How webhook URLs' names are resolved (tests point names at chosen addresses); the system resolver otherwise. */
  resolveHost?: HostResolver;
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * The key that seals private keys at rest. From AUTH_ENCRYPTION_KEY; in embedded mode,
 * when unset, a random key kept in DATA_DIR/encryption.key (mode 0600).
 */
export function resolveEncryptionKey(config: Config): string {
  if (config.encryptionKey) return config.encryptionKey;
  if (config.databaseUrl) throw new Error('AUTH_ENCRYPTION_KEY is required with DATABASE_URL');
  const dir = resolve(config.dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'encryption.key');
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  const key = readFileSync(file, 'utf8').trim();
  if (key.length < 32) throw new Error(`${file} holds fewer than 32 characters; delete it only if no signing key was sealed with it`);
  return key;
}

export async function buildDeps(config: Config, overrides: DepsOverrides = {}): Promise<Deps> {
  const log = overrides.log ?? createLogger({ level: config.logLevel, ...(overrides.logStream ? { stream: overrides.logStream } : {}) });
  const clock = overrides.clock ?? systemClock;
  const encryptionKey = resolveEncryptionKey(config);
  const encrypter = createEncrypter(encryptionKey);
  // Fails the start on a broken template override, before anything is opened.
  const templates = loadTemplates(config.emailTemplatesDir);

  const handle = await connectDatabase<Database>({
    databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax, preparedStatements: config.databasePreparedStatements,
    pgliteSharedBuffers: config.pgliteSharedBuffers, pgliteTemplate: join(PROJECT_ROOT, 'dist', 'pglite-template.tar.gz'),
  });
  let redis: Redis | undefined;
  let bus: InvalidationBus | undefined;
  let outbox: MailOutbox | undefined;
  let events: EventsService | undefined;
  let webhookWorker: DeliveryWorker | undefined;
  let oauthVault: Vault | undefined;
  let keyStore: KeyStore | undefined;
  let housekeeping: Housekeeping | undefined;
  const background = createBackground(log);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await background.settle();
    await housekeeping?.stop();
    await outbox?.stop();
    await webhookWorker?.stop();
    await oauthVault?.worker.stop();
    keyStore?.stop();
    await events?.stop();
    await bus?.close();
    if (redis) redis.disconnect();
    await handle.close();
  };

  try {
    const { db } = handle;
    if (!overrides.skipMigrations) await migrateIfPending(db as Kysely<unknown>);

    if (config.redisUrl) {
      // No offline queue: when Redis is down, a command fails at once and the in-memory
      // limiter takes over instead of requests hanging.
      redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
      redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
      await redis.connect();
    }

    // Session-state caches are invalidated through Redis, else PostgreSQL, else in-process.
    const db0 = db;
    bus = redis ? await RedisBus.open(redis, log)
      : config.databaseUrl ? await PostgresBus.open(config.databaseUrl, async (payload) => { await sql`select pg_notify(${INVALIDATION_CHANNEL}, ${payload})`.execute(db0); }, log)
      : new LocalBus();
    const geo = config.geoipDb
      ? await openGeoLocator(config.geoipDb).catch((err: Error) => { throw new Error(`AUTH_GEOIP_DB: ${err.message}`); })
      : noGeoLocator;

    const passwords = createPasswordHasher(
      { memoryCost: config.argon2Memory, timeCost: config.argon2Iterations, parallelism: config.argon2Parallelism },
      { firebaseParams: createFirebaseParamsLookup({ db, encrypter }) },
    );
    const keys = keyStore = createKeyStore({
      db, clock, encrypter, algorithm: config.jwtAlgorithm, hmacSecret: config.jwtSecret, bus,
      maxTokenLifetime: Math.max(config.accessTokenExpiry, config.serviceAccountTokenExpiry),
    });
    await keys.init();
    const tokens = createTokensService({
      keys, clock, issuer: config.jwtIssuer, audience: config.jwtAudience,
      accessTokenExpiry: config.accessTokenExpiry, hasuraClaims: config.jwtHasuraClaims, includePermissions: config.jwtIncludePermissions, hasuraOrgRole: config.jwtHasuraOrgRole,
    });
    const policy = createPasswordPolicy({
      settings: {
        minLength: config.passwordMinLength, maxLength: config.passwordMaxLength,
        requireUppercase: config.passwordRequireUppercase, requireLowercase: config.passwordRequireLowercase,
        requireNumbers: config.passwordRequireNumbers, requireSymbols: config.passwordRequireSymbols,
        preventCommon: config.passwordPreventCommon, preventUserInfo: config.passwordPreventUserInfo,
        historyCount: config.passwordHistoryCount, changeRequiredDays: config.passwordChangeRequiredDays, breachCheck: config.passwordBreachCheck,
      },
      common: commonPasswords,
      breach: config.passwordBreachCheck ? createBreachChecker({ baseUrl: config.passwordBreachApiUrl, timeoutMs: config.passwordBreachTimeout * 1000 }) : undefined,
      passwords, log,
    });
    const none = { depth: 0, oldestSeconds: 0 };
    const metrics = createMetrics({
      queues: async () => ({
        mail: (await outbox?.queueState()) ?? none,
        webhooks: (await webhookWorker?.queueState()) ?? none,
        events: (await events?.queueState()) ?? none,
      }),
      pool: handle.poolStats,
    });
    const auditLog = createAuditService({ db, clock, retentionDays: config.auditRetentionDays });
    const outbound: OutboundPolicy = { requireHttps: config.nodeEnv === 'production', allowPrivate: config.webhookAllowPrivate, resolve: overrides.resolveHost ?? systemResolver };
    const worker = webhookWorker = createDeliveryWorker({
      db, clock, encrypter, log, timeoutMs: config.webhookTimeout * 1000, retryWindowMs: config.webhookRetryWindow * 1000,
      pollInterval: 1, retention: config.outboxRetention, userAgent: `Tessera-Webhooks/${packageVersion()}`, outbound,
    });
    events = createEventsService({
      db, clock, log, publisher: config.natsUrl ? createNatsPublisher(config.natsUrl, config.natsStream, log) : undefined,
      retention: config.outboxRetention, pollInterval: 1,
      fanOut: (on, e) => fanOut(on, e, new Date(clock.now())), fanOutQuery: (e) => fanOutQuery(e, new Date(clock.now())),
      deliver: () => { void worker.kick(); },
    });
    const ev = events;
    // Every audit entry also writes the events of its change, in the same transaction.
    const record: AuditRecorder = async (on, entry) => {
      await auditLog.record(on, entry);
      metrics.observeAudit(entry);
      for (const e of await eventsOfAudit(on, entry)) await ev.emit(on, e.type, e.subject, e.data, entry.actor);
    };
    // The same in a batch of writes (one statement), for entries whose events need no read.
    const recordIn: AuditBatchRecorder = (batch, entry, known) => {
      const planned = eventsOfAuditNow(entry, known);
      if (!planned) throw new Error(`audit entry ${entry.type} needs a read for its events: record it in a transaction`);
      auditLog.recordIn(batch, entry);
      batch.then(() => metrics.observeAudit(entry));
      for (const e of planned) ev.emitIn(batch, e.type, e.subject, e.data, entry.actor);
    };
    const audit = { ...auditLog, record, recordIn };
    const webhooks = createWebhooksService({ db, clock, encrypter, audit: audit.record, kick: () => { void worker.kick(); }, outbound });
    const bus0 = bus;
    const rbac = createRbacService({ db, bus, clock, audit: audit.record, userChanged: (id) => bus0.publish({ kind: 'user', id }) });
    if (!overrides.skipMigrations) await rbac.ensureRole(config.defaultRole);
    const users = createUsersService({ db, passwords, defaultRole: config.defaultRole, emailRequired: config.emailRequired, bus, clock, policy, onFirstAdmin: (trx, id) => rbac.grantSuperAdminIn(trx, id) });
    const sessions = createSessionsService({
      db, query: handle.query, refreshTokens: createRefreshTokenCodec(encryptionKey), clock, bus, geo, refreshTokenExpiry: config.refreshTokenExpiry, reuseInterval: config.refreshReuseInterval,
      idleTimeout: config.sessionIdleTimeout, maxActive: config.maxActiveSessions, retention: config.sessionRetention,
      rotation: config.refreshTokenRotation,
      ended: async (on, ids, reason) => { for (const id of ids) await ev.emit(on, 'session.invalidated', id, { reason }); },
    });
    const transport = config.smtpHost
      ? createSmtpTransport({ host: config.smtpHost, port: config.smtpPort, secure: config.smtpSecure, user: config.smtpUser, pass: config.smtpPass, sender: config.smtpSender })
      // Production gets here only with AUTH_EMAIL_LOG_IN_PRODUCTION=true, and then logs no content.
      : createLogTransport(log, { contents: config.nodeEnv !== 'production' });
    outbox = createMailOutbox({
      db, clock, encrypter, transport, log, maxAttempts: config.emailMaxAttempts, retryDelay: config.emailRetryDelay, pollInterval: config.emailPollInterval,
    });
    const mailer = createMailer({ outbox, templates, appName: config.appName });
    const notices = createNotices({ mailer, sessions, db, clock, newSignIn: config.newSignInNotice });
    const limiter = createRateLimiter({ max: config.rateLimitMax, windowSeconds: config.rateLimitWindow, redis, onLimited: () => metrics.rateLimited('ip') });
    const limits = {
      login: createRateLimiter({ max: config.rateLimitLoginAttempts ?? config.rateLimitMax, windowSeconds: config.rateLimitLoginWindow ?? config.rateLimitWindow, redis, keyPrefix: 'tessera:rl:login', onLimited: () => metrics.rateLimited('login') }),
      signup: createRateLimiter({ max: config.rateLimitSignupAttempts ?? config.rateLimitMax, windowSeconds: config.rateLimitSignupWindow ?? config.rateLimitWindow, redis, keyPrefix: 'tessera:rl:signup', onLimited: () => metrics.rateLimited('signup') }),
    };
    const captcha = config.captchaProvider && config.captchaSecret
      ? createCaptcha({ provider: config.captchaProvider, secret: config.captchaSecret, verifyUrl: config.captchaVerifyUrl, log })
      : undefined;
    const lockout = createLockout({ enabled: config.lockoutEnabled, attempts: config.lockoutAttempts, durationSeconds: config.lockoutDuration, redis, onRefused: () => metrics.lockoutRefused() });
    // A lock (after wrong passwords, second factors or re-authentications) is recorded and told to the user.
    const onLocked = async (user: UserRow) => {
      await audit.record(db, { type: 'account.locked', subject: user.id, reason: 'repeated_failures', actor: { type: 'system' }, details: { durationSeconds: config.lockoutDuration } });
      await db.transaction().execute((trx) => notices.accountLocked(trx, user, new Date(clock.now() + config.lockoutDuration * 1000)));
      mailer.flush();
    };
    const failures = createAccountFailures({ lockout, log, findUser: (id) => users.findById(id), locked: onLocked });
    const addressLimits = createAddressLimits({ clock, secret: encryptionKey, onLimited: () => metrics.rateLimited('address') });
    const sms = config.smsProvider === 'twilio'
      ? createTwilioProvider({ accountSid: config.twilioAccountSid ?? '', authToken: config.twilioAuthToken ?? '', from: config.twilioPhoneNumber ?? '', baseUrl: config.twilioApiUrl })
      : config.smsProvider === 'aws_sns'
        ? createSnsProvider({ accessKeyId: config.awsSnsAccessKey ?? '', secretAccessKey: config.awsSnsSecretKey ?? '', region: config.awsSnsRegion ?? '', endpoint: config.awsSnsEndpoint })
        : createLogSmsProvider(log);
    const mfa = createMfaService({
      db, clock, log, encrypter, secret: encryptionKey, users, sessions, mailer, sms, limits: addressLimits,
      hasPasskeys: (userId) => hasPasskeys(db, userId), rolesOf: (userId) => rbac.effectiveRoles(userId), audit: audit.record, failures,
      settings: {
        issuer: config.mfaTotpIssuer, challengeTtl: config.mfaChallengeExpiresIn, requiredForRoles: config.mfaRequiredForRoles,
        reauthMaxAge: config.reauthMaxAge, smsEnabled: config.mfaSmsEnabled, smsPerNumberPerHour: config.mfaSmsPerNumberLimit, smsPerDay: config.mfaSmsDailyLimit,
      },
    });
    // Synchronous hooks: claims for user access tokens, consent to sign-ups.
    const hooks = createHooks({
      customClaimsUrl: config.hookCustomClaimsUrl, beforeSignupUrl: config.hookBeforeSignupUrl, secret: config.hookSecret, timeoutSeconds: config.hookTimeout,
      customClaimsOnFailure: config.hookCustomClaimsOnFailure, beforeSignupOnFailure: config.hookBeforeSignupOnFailure,
    }, { clock, log, audit: (entry) => audit.record(db, entry) });
    // The first proof of an address removes what an earlier registrant set (pre-account hijacking).
    const addressClaim = createAddressClaim({
      users, sessions, audit: audit.record,
      clearCredentials: async (trx, userId) => ({
        factors: await mfa.resetIn(trx, userId),
        passkeys: await removeAllPasskeysIn(trx, userId),
        identities: await removeAllIdentitiesIn(trx, userId),
      }),
    });
    const oneTime = createOneTimeTokens({ clock, secret: encryptionKey });
    const redirects = createRedirectPolicy(config.clientUrl, config.redirectAllowlist, config.uiEnabled ? new URL(publicUrl(config)).origin : undefined);
    const account = createAccountService({
      db, clock, log, users, sessions, passwords, mailer, notices, tokens: oneTime, limits: addressLimits, audit: audit.record, auditIn: audit.recordIn, beforeSignup: hooks.beforeSignup,
      claim: addressClaim.claim, secret: encryptionKey,
      afterDelete: (trx) => rbac.assertGuards(trx, { actor: { type: 'system' }, permissions: new Set() }, null),
      settings: {
        publicUrl: publicUrl(config), clientUrl: config.clientUrl,
        verificationExpiresIn: config.emailVerificationExpiresIn, resendLimit: config.emailVerificationResendLimit,
        resendInterval: config.emailVerificationResendInterval, resetExpiresIn: config.passwordResetExpiresIn,
        emailChangeExpiresIn: config.emailChangeExpiresIn, addressLimit: config.emailAddressLimit, addressWindow: config.emailAddressWindow,
      },
    }, background);
    const userChanged = (id: string) => users.changed(id);
    const organizations = createOrganizationsService({ db, clock, bus, audit: audit.record, rbac, userChanged, settings: { userCreate: config.organizationsUserCreate } });
    const invitations = createInvitations({
      db, clock, audit: audit.record, organizations, users, mailer, beforeSignup: hooks.beforeSignup, userChanged,
      settings: { expiresIn: config.organizationInvitationExpiresIn, acceptUrl: config.organizationInvitationUrl ?? `${publicUrl(config)}/ui/invitation` },
    });
    // Every way in ends in the gate, the one place that starts sessions.
    const gate = createSignInGate({
      db, clock, users, sessions, tokens, log, debugMode: config.debugMode, requireVerifiedEmail: config.emailVerificationRequired,
      passwordMaxAgeDays: config.passwordChangeRequiredDays, issuePasswordChange: (user, amr) => account.issuePasswordChange(user, amr),
      notices, mailer, lockout, mfa, audit: audit.record, auditIn: audit.recordIn,
      access: (id) => rbac.accessOf(id), accessCached: (id) => rbac.accessCached(id), customClaims: hooks.customClaims, organizations,
    });
    const passwordSignIn = createPasswordSignIn({
      clock, users, passwords, log, gate, lockout, identifierLimit: limits.login, captcha, captchaAfter: config.captchaLoginAfter,
      lockoutDurationSeconds: config.lockoutDuration, locked: onLocked,
    });
    const auth = createAuthService({ db, users, sessions, tokens, log, sessionCheck: config.sessionCheck, lockout, gate, hasClaimsHook: Boolean(hooks.customClaims) });
    const passkeys = createPasskeysService({
      db, clock, log, secret: encryptionKey, users, gate, mfa, audit: audit.record, identityCount: (id) => countIdentitiesOf(db, id),
      settings: {
        rpId: config.webauthnRpId, rpName: config.webauthnRpName, challengeTtl: config.webauthnChallengeExpiresIn,
        origins: config.webauthnOrigins.length ? config.webauthnOrigins.map((o) => new URL(o).origin) : [...new Set([new URL(config.clientUrl).origin, new URL(publicUrl(config)).origin])],
      },
    });
    // The hourly housekeeping: ended proofs, challenges and request records, then what grows
    // with use, in bounded batches. Request records serve the address limits and the daily
    // SMS cap: kept a day at least.
    const keepRequests = Math.max(86_400, config.emailAddressWindow, config.emailVerificationExpiresIn, config.emailVerificationResendInterval);
    const chores = housekeeping = createHousekeeping({ db, clock, log, batchSize: config.pruneBatchSize });
    const mailOutbox = outbox;
    chores.add('one_time_tokens', () => oneTime.prune(db));
    chores.add('mail_requests', () => addressLimits.prune(db, keepRequests));
    chores.add('mfa_challenges', () => mfa.prune());
    chores.add('passkey_challenges', () => passkeys.prune());
    chores.add('oauth_states', async () => { await oauth.prune(); });
    chores.add('sessions', (limits) => sessions.prune(limits));
    chores.add('audit_log', (limits) => audit.prune(limits));
    chores.add('events', (limits) => ev.prune(limits));
    chores.add('webhook_deliveries', (limits) => worker.prune(limits));
    chores.add('mail_outbox', (limits) => mailOutbox.prune(limits));
    chores.add('organization_invitations', async (limits) => ({ organization_invitations: await invitations.prune(limits.batchSize) }));
    const registry = createProviderRegistry({ db, clock, log, encrypter, envProviders: config.oauthProviders, publicUrl: publicUrl(config) });
    const vault = oauthVault = createVault({ db, clock, log, encrypter, registry, audit: audit.record, marginSeconds: config.oauthRefreshMargin });
    const oauth = createOAuthService({
      db, clock, log, encrypter, registry, vault, users, gate, audit: audit.record, redirects, beforeSignup: hooks.beforeSignup,
      passkeyCount: async (id) => (await passkeys.list(id)).length, autoLink: config.oauthAutoLink,
    });
    const passwordless = createPasswordlessService({
      db, users, gate, claim: addressClaim.claim, mailer, tokens: oneTime, limits: addressLimits, redirects, audit: audit.record, beforeSignup: hooks.beforeSignup,
      settings: {
        publicUrl: publicUrl(config), magicLinkExpiresIn: config.magicLinkExpiresIn, emailCodeExpiresIn: config.emailCodeExpiresIn,
        signup: config.magicLinkSignup, addressLimit: config.emailAddressLimit, addressWindow: config.emailAddressWindow,
      },
    }, background);

    const serviceAccounts = createServiceAccountsService({
      db, clock, bus, audit: audit.record, tokens, tokenExpiry: config.serviceAccountTokenExpiry,
      checkGrant: async (trx, caller, permissions) => {
        await rbac.requirePermissions(trx, permissions);
        rbac.assertHolds(caller, permissions);
      },
    });
    // Tessera as an OpenID Connect provider; its sessions and tokens come from the gate.
    const issuer = publicUrl(config);
    const oidc = createOidcProvider({
      db, clock, log, sessions, users, gate, audit: audit.record, authenticate: (t) => auth.authenticate(t), issuer,
      idTokenTtl: config.accessTokenExpiry, codeTtl: 60, outbound, allowHttpRedirects: config.nodeEnv !== 'production',
      signingAlg: () => keys.signingKey().alg,
      verifyIdTokenHint: (token) => {
        // Expired hints are accepted (RP-Initiated Logout 1.0, 2): the signature and issuer decide.
        let iat: unknown;
        try { iat = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: unknown }).iat; } catch { return undefined; }
        if (typeof iat !== 'number') return undefined;
        const r = verifyJwt(token, { resolveKey: keys.resolve, nowSeconds: iat, issuer });
        return r.ok ? r.payload : undefined;
      },
    });
    chores.add('oidc_requests_and_codes', async () => { await oidc.prune(); });
    // A browser session that ends (any way: logout, revocation, password change, a disabled
    // account) ends the applications' grants made through it, and tells those that asked.
    bus0.subscribe((m) => {
      if (m.kind !== 'session' && m.kind !== 'user_sessions') return;
      oidc.logout.ssoSessionEnded(m.kind === 'session' ? { ssoSessionId: m.id } : { userId: m.id })
        .catch((err: unknown) => log.warn({ err, session: m.id }, 'ending the grants of an ended session failed'));
    });
    const checkPassword = (password: string, who: { username: string; email?: string }) => policy.check(password, who);
    const admin = createAdminService({
      db, clock, users, rbac, sessions, passwords, audit: audit.record, checkPassword, defaultRole: config.defaultRole,
      sendPasswordEmail: (trx, user, kind) => account.sendPasswordEmail(trx, user, kind),
      flushMail: () => mailer.flush(),
      resetFactors: async (trx, userId) => ({ factors: await mfa.resetIn(trx, userId), passkeys: await passkeys.removeAllIn(trx, userId) }),
      listFactors: (userId) => mfa.list(userId),
      listPasskeys: (userId) => passkeys.list(userId),
      unlock: (user) => auth.unlock(user),
    });
    const importer = createImporter({
      db, clock, encrypter, audit: audit.record, defaultRole: config.defaultRole, emailRequired: config.emailRequired, claimFirstUser: (trx) => users.claimFirstUser(trx),
      emitCreated: async (trx, u, source) => {
        await ev.emit(trx, 'user.created', u.id, {
          user: { id: u.id, username: u.username, email: u.email, emailVerified: u.email_verified, role: u.role, active: u.is_active, locale: 'en', createdAt: u.created_at.toISOString() },
          imported: { source },
        }, { type: 'system' });
      },
    });
    if (!overrides.skipMigrations) {
      await bootstrapAdmin({ db, users, rbac, audit: audit.record, passwords, checkPassword, log }, {
        adminUsername: config.adminUsername, adminEmail: config.adminEmail, defaultUsername: config.defaultUsername, defaultPassword: config.defaultPassword,
        defaultUserIsPlain: config.compatProfiles.includes('edd'), defaultRole: config.defaultRole,
      });
    }

    if (!overrides.noMailWorker && !overrides.noWorkers) {
      outbox.start();
      chores.start();
      worker.start();
      vault.worker.start(30_000);
    }
    if (!overrides.noWorkers) ev.start();
    // Redis and the invalidation bus have fallbacks (in-memory limits, cache bypass): while
    // they fail the service keeps answering and /readyz says "degraded".
    const readinessChecks: Record<string, () => Promise<void>> = {};
    const degradedChecks: Record<string, () => Promise<void>> = {};
    if (redis) {
      const r = redis;
      degradedChecks.redis = async () => { await r.ping(); };
    }
    // Events wait in the outbox while NATS is away: the service answers, degraded.
    if (config.natsUrl) degradedChecks.nats = async () => { if (ev.mode() === 'disconnected') throw new Error('NATS is not connected; events wait in the outbox'); };
    const b = bus;
    if (b.transport !== 'local') degradedChecks.invalidation = async () => { if (!b.connected()) throw new Error('invalidation bus disconnected'); };

    return {
      config, version: packageVersion(), log, clock, db, dbKind: handle.kind, redis, bus, passwords, limiter, limits, policy, captcha, degradedChecks,
      cookies: { secure: config.secureCookies, sameSite: config.sameSite, maxAgeSeconds: config.refreshTokenExpiry },
      users, sessions, tokens, keys, auth, gate, passwordSignIn, outbox, mailer, account, mfa, passkeys, passwordless, redirects, audit, events: ev, webhooks, webhookWorker: worker, oauth, oauthVault: vault, rbac, organizations, invitations, serviceAccounts, oidc, admin, importer, housekeeping: chores, metrics, readinessChecks, close,
      settle: () => background.settle(),
    };
  } catch (err) {
    await close();
    throw err;
  }
}
