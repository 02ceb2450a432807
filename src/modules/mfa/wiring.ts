// MFA's part of the composition root: the SMS provider (Twilio, SNS or the log), the
// account's failure count that wrong second factors add to, the settings of the methods
// and of step-up, and the chore.
import type { NamedChore } from '../../core/chores.ts';
import type { Config } from '../../core/config/index.ts';
import type { Lockout } from '../../core/limits/index.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import { createAccountFailures } from '../sign-in/index.ts';
import type { UserRow } from '../users/index.ts';
import { createMfaService, type MfaDeps } from './mfa.service.ts';
import { createSnsProvider } from './sms/aws-sns.ts';
import { createLogSmsProvider } from './sms/log.ts';
import { createTwilioProvider } from './sms/twilio.ts';

export function wireMfa(config: Config, deps: Pick<MfaDeps, 'db' | 'clock' | 'log' | 'encrypter' | 'secret' | 'users' | 'sessions' | 'mailer' | 'limits' | 'hasPasskeysRead'> & {
  changes: ChangeEmitter;
  rbac: { effectiveRoles(userId: string): Promise<string[]> };
  lockout: Lockout;
  /** Records a lock and tells the user (the account module's notice). */
  onLocked: (user: UserRow) => Promise<void>;
}) {
  const { log, users, rbac } = deps;
  const failures = createAccountFailures({ lockout: deps.lockout, log, findUser: (id) => users.findById(id), locked: deps.onLocked });
  const sms = config.smsProvider === 'twilio'
    ? createTwilioProvider({ accountSid: config.twilioAccountSid ?? '', authToken: config.twilioAuthToken ?? '', from: config.twilioPhoneNumber ?? '', baseUrl: config.twilioApiUrl })
    : config.smsProvider === 'aws_sns'
      ? createSnsProvider({ accessKeyId: config.awsSnsAccessKey ?? '', secretAccessKey: config.awsSnsSecretKey ?? '', region: config.awsSnsRegion ?? '', endpoint: config.awsSnsEndpoint })
      : createLogSmsProvider(log);
  const mfa = createMfaService({
    db: deps.db, clock: deps.clock, log, encrypter: deps.encrypter, secret: deps.secret, users, sessions: deps.sessions, mailer: deps.mailer, sms, limits: deps.limits,
    hasPasskeysRead: deps.hasPasskeysRead, rolesOf: (userId) => rbac.effectiveRoles(userId), audit: deps.changes.emit, failures,
    settings: {
      issuer: config.mfaTotpIssuer, challengeTtl: config.mfaChallengeExpiresIn, requiredForRoles: config.mfaRequiredForRoles,
      reauthMaxAge: config.reauthMaxAge, smsEnabled: config.mfaSmsEnabled, smsPerNumberPerHour: config.mfaSmsPerNumberLimit, smsPerDay: config.mfaSmsDailyLimit,
    },
  });
  const chores: NamedChore[] = [{ name: 'mfa_challenges', prune: () => mfa.prune() }];
  return { mfa, chores };
}
