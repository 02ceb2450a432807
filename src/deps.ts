// The one composition root: configuration in, every long-lived dependency out. main.ts,
// the CLI and the tests build the service graph here; a test replaces one piece (the
// clock, the log stream) through `overrides` without a framework.
//
// It reads as a list. The shared infrastructure comes from src/core/setup.ts; each module
// exports its wiring (`wireX(config, pieces)` in its wiring.ts, through its index.ts),
// which maps configuration to the module's settings and returns its services, its chores
// for housekeeping, what starts in the background and its checks. This file only orders
// the calls (a module's pieces come before the modules that take them), subscribes the
// change feed, starts the workers and closes everything in reverse.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from './core/paths.ts';
import { randomBytes } from 'node:crypto';
import type { DestinationStream, Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { InvalidationBus } from './core/cache/invalidation-bus.ts';
import { createChangeFeed } from './core/changes.ts';
import { systemClock, type Clock } from './core/clock.ts';
import type { Config } from './core/config/index.ts';
import { createEncrypter, type PasswordHasher } from './core/crypto/index.ts';
import { connectDatabase, migrateIfPending, type DbKind } from './core/db/index.ts';
import type { CookieSettings } from './core/http/index.ts';
import type { RateLimiter } from './core/limits/index.ts';
import { createLogger } from './core/logger.ts';
import { createBackground } from './core/background.ts';
import { cookieSettings, databaseOptions, degradedChecks, openInvalidationBus, openRedis, outboundPolicy, passwordHasher, rateLimits } from './core/setup.ts';
import type { HostResolver } from './core/net/index.ts';
import type { Database, Db } from './database.ts';
import { wireAccount, wirePasswordless, type AccountService, type PasswordlessService, type RedirectPolicy } from './modules/account/index.ts';
import { wireAuth, type AuthService } from './modules/auth/index.ts';
import { createAddressClaim, wireSignIn, type Captcha, type PasswordSignIn, type SignInGate } from './modules/sign-in/index.ts';
import { wireMfa, type MfaService } from './modules/mfa/index.ts';
import { hasPasskeysRead, removeAllPasskeysIn, wirePasskeys, type PasskeysService } from './modules/passkeys/index.ts';
import { wirePasswords, type PasswordPolicy } from './modules/passwords/index.ts';
import { loadTemplates, wireMail, type MailOutbox, type Mailer } from './modules/mail/index.ts';
import { openGeo, wireSessions, type SessionsService } from './modules/sessions/index.ts';
import { wireTokens, type KeyStore, type TokensService } from './modules/tokens/index.ts';
import { wireUsers, type UsersService } from './modules/users/index.ts';
import { wireAdmin, type AdminService } from './modules/admin/index.ts';
import { createMetrics, type Metrics } from './modules/metrics/index.ts';
import { wireAudit, type AuditEntry, type AuditService } from './modules/audit/index.ts';
import { changeEvents, wireEvents, type EventsService } from './modules/events/index.ts';
import { wireWebhooks, type DeliveryWorker, type WebhooksService } from './modules/webhooks/index.ts';
import { wireRbac, type RbacService } from './modules/rbac/index.ts';
import { wireServiceAccounts, type ServiceAccountsService } from './modules/service-accounts/index.ts';
import { wireHooks } from './modules/hooks/index.ts';
import { createFirebaseParamsLookup, wireImports, type Importer } from './modules/imports/index.ts';
import { countIdentitiesOf, removeAllIdentitiesIn, wireOAuth, type OAuthService, type Vault } from './modules/oauth/index.ts';
import { wireHousekeeping, type Housekeeping } from './modules/housekeeping/index.ts';
import { wireOidc, type OidcProvider } from './modules/oidc/index.ts';
import { roleHeldByMembers, wireOrganizations, type Invitations, type OrganizationsService } from './modules/organizations/index.ts';

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
  const secret = resolveEncryptionKey(config);
  const encrypter = createEncrypter(secret);
  // Fails the start on a broken template override, before anything is opened.
  const templates = loadTemplates(config.emailTemplatesDir);

  const handle = await connectDatabase<Database>(databaseOptions(config));
  // What close() stops, set as each is made: a start that fails half-way closes what it opened.
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
    const { db, query } = handle;
    const migrated = !overrides.skipMigrations;
    if (migrated) await migrateIfPending(db as Kysely<unknown>);
    redis = await openRedis(config, log);
    const bus0 = bus = await openInvalidationBus(config, { redis, db: db as Kysely<unknown>, log });
    const geo = await openGeo(config);
    const passwords = passwordHasher(config, { firebaseParams: createFirebaseParamsLookup({ db, encrypter }) });
    const { keys, tokens } = await wireTokens(config, { db, clock, encrypter, bus: bus0 });
    keyStore = keys;
    const { policy } = wirePasswords(config, { passwords, log });
    const none = { depth: 0, oldestSeconds: 0 };
    const metrics = createMetrics({
      queues: async () => ({
        mail: (await outbox?.queueState()) ?? none,
        webhooks: (await webhookWorker?.queueState()) ?? none,
        events: (await events?.queueState()) ?? none,
      }),
      pool: handle.poolStats,
    });

    // Services emit each change once; the audit log, metrics and the event outbox subscribe
    // (in this order), each writing its part in the change's transaction or batch.
    const changes = createChangeFeed<Db, AuditEntry>();
    const auditing = wireAudit(config, { db, clock });
    const outbound = outboundPolicy(config, overrides.resolveHost);
    const version = packageVersion();
    const hooked = wireWebhooks(config, { db, clock, encrypter, log, outbound, version, changes });
    const worker = webhookWorker = hooked.worker;
    const eventing = wireEvents(config, { db, clock, log, ...hooked.eventSinks });
    const ev = events = eventing.events;
    changes.subscribe(auditing.auditLog.subscriber);
    changes.subscribe(metrics.changes);
    changes.subscribe(changeEvents(ev));
    // Routes, the CLI and tests record through `deps.audit` and the feed too.
    const audit = { ...auditing.auditLog, record: changes.emit, recordBatched: changes.emitBatched };

    const { rbac, superAdminRemains } = await wireRbac(config, { db, bus: bus0, clock, changes, roleHeldByMembers, ensureDefaultRole: migrated });
    const { users } = wireUsers(config, { db, passwords, bus: bus0, clock, policy, onFirstAdmin: (trx, id) => rbac.grantSuperAdminIn(trx, id) });
    const sessioning = wireSessions(config, { db, query, clock, bus: bus0, geo, secret, events: ev });
    const { sessions } = sessioning;
    const mail = wireMail(config, { db, clock, encrypter, log, templates });
    const mailer = mail.mailer;
    outbox = mail.outbox;
    const { limiter, limits, lockout } = rateLimits(config, { redis, onLimited: (group) => metrics.rateLimited(group), onLockoutRefused: () => metrics.lockoutRefused() });
    const { hooks } = wireHooks(config, { db, clock, log, changes });
    // The first proof of an address removes what an earlier registrant set (pre-account
    // hijacking); second factors are the MFA module's, made below from these pieces.
    const addressClaim = createAddressClaim({
      users, sessions, audit: changes.emit,
      clearCredentials: async (trx, userId) => ({
        factors: await mfa.resetIn(trx, userId),
        passkeys: await removeAllPasskeysIn(trx, userId),
        identities: await removeAllIdentitiesIn(trx, userId),
      }),
    });
    const accounts = wireAccount(config, { db, clock, log, users, sessions, passwords, mailer, claim: addressClaim.claim, secret, afterDelete: superAdminRemains, changes, hooks, metrics, background });
    const { account, notices, redirects } = accounts;
    const mfaWired = wireMfa(config, {
      db, clock, log, encrypter, secret, users, sessions, mailer, limits: accounts.addressLimits, hasPasskeysRead: (reads, userId) => hasPasskeysRead(reads, db, userId),
      changes, rbac, lockout, onLocked: accounts.onLocked,
    });
    const { mfa } = mfaWired;
    const orgs = wireOrganizations(config, { db, clock, bus: bus0, rbac, mailer, changes, users, hooks });
    const { organizations, invitations } = orgs;
    const { gate, passwordSignIn, captcha } = wireSignIn(config, {
      db, clock, users, sessions, tokens, log, notices, mailer, lockout, mfa, organizations, passwords, changes, rbac, hooks, loginLimit: limits.login,
      issuePasswordChange: (user, amr) => account.issuePasswordChange(user, amr), locked: accounts.onLocked,
    });
    const { auth } = wireAuth(config, { db, users, sessions, tokens, log, lockout, gate, hooks });
    const passkeyed = wirePasskeys(config, { db, clock, log, secret, users, gate, mfa, changes, identityCount: (id) => countIdentitiesOf(db, id) });
    const { passkeys } = passkeyed;
    const social = wireOAuth(config, { db, clock, log, encrypter, users, gate, redirects, changes, hooks, passkeys });
    const { oauth } = social;
    const vault = oauthVault = social.vault;
    const { passwordless } = wirePasswordless(config, {
      db, users, gate, claim: addressClaim.claim, mailer, oneTime: accounts.oneTime, addressLimits: accounts.addressLimits, redirects, changes, hooks, background,
    });
    const { serviceAccounts } = wireServiceAccounts(config, { db, clock, bus: bus0, tokens, changes, rbac });
    const provider = wireOidc(config, { db, clock, log, sessions, users, gate, outbound, changes, auth, keys, bus: bus0 });
    const { oidc } = provider;
    const administration = wireAdmin(config, { db, clock, users, rbac, sessions, passwords, log, changes, policy, account, mailer, mfa, passkeys, auth });
    const { admin } = administration;
    const { importer } = wireImports(config, { db, clock, encrypter, changes, users, events: ev });
    // The hourly housekeeping: ended proofs, challenges and request records, then what grows
    // with use, in bounded batches.
    const chores = housekeeping = wireHousekeeping(config, {
      db, clock, log,
      chores: [
        ...accounts.chores, ...mfaWired.chores, ...passkeyed.chores, ...social.chores, ...sessioning.chores, ...auditing.chores,
        ...eventing.chores, ...hooked.chores, ...mail.chores, ...orgs.chores, ...provider.chores,
      ],
    });
    if (migrated) await administration.bootstrap();

    if (!overrides.noMailWorker && !overrides.noWorkers) {
      outbox.start();
      chores.start();
      worker.start();
      social.startWorker();
    }
    if (!overrides.noWorkers) ev.start();
    const readinessChecks: Record<string, () => Promise<void>> = {};

    return {
      config, version, log, clock, db, dbKind: handle.kind, redis, bus: bus0, passwords, limiter, limits, policy, captcha,
      degradedChecks: degradedChecks(redis, bus0, eventing.degradedChecks), cookies: cookieSettings(config),
      users, sessions, tokens, keys, auth, gate, passwordSignIn, outbox, mailer, account, mfa, passkeys, passwordless, redirects, audit, events: ev,
      webhooks: hooked.webhooks, webhookWorker: worker, oauth, oauthVault: vault, rbac, organizations, invitations, serviceAccounts, oidc, admin, importer,
      housekeeping: chores, metrics, readinessChecks, close,
      settle: () => background.settle(),
    };
  } catch (err) {
    await close();
    throw err;
  }
}
