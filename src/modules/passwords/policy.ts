// The password policy, applied wherever a password is set (registration, reset, change,
// expiry). Cheap rules run first and all of them are reported; the costly ones (history,
// breach check) run only for a password that passed the rest. Each broken rule has its
// own stable code, so that a UI can explain it.
import type { Logger } from 'pino';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { ErrorCode } from '../../core/errors/catalogue.ts';
import type { BreachResult } from './breach.ts';

export interface PolicySettings {
  minLength: number;
  maxLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
  preventCommon: boolean;
  preventUserInfo: boolean;
  historyCount: number;
  changeRequiredDays: number;
  breachCheck: boolean;
}

export interface PolicyDeps {
  settings: PolicySettings;
  common: () => Set<string>;
  breach?: ((password: string) => Promise<BreachResult>) | undefined;
  passwords: PasswordHasher;
  log: Logger;
}

export interface PolicySubject {
  username?: string | undefined;
  email?: string | undefined;
  /** Hashes the password may not repeat (the current one and the history), newest first. */
  previousHashes?: () => Promise<string[]>;
}

type Broken = { rule: ErrorCode; message: string };

export function createPasswordPolicy(deps: PolicyDeps) {
  const s = deps.settings;

  function cheapRules(password: string, who: PolicySubject): Broken[] {
    const broken: Broken[] = [];
    const length = [...password].length;
    if (length < s.minLength) broken.push({ rule: 'password_too_short', message: `at least ${s.minLength} characters` });
    if (length > s.maxLength) broken.push({ rule: 'password_too_long', message: `at most ${s.maxLength} characters` });
    if (s.requireUppercase && !/\p{Lu}/u.test(password)) broken.push({ rule: 'password_missing_uppercase', message: 'an upper-case letter' });
    if (s.requireLowercase && !/\p{Ll}/u.test(password)) broken.push({ rule: 'password_missing_lowercase', message: 'a lower-case letter' });
    if (s.requireNumbers && !/\p{Nd}/u.test(password)) broken.push({ rule: 'password_missing_number', message: 'a digit' });
    if (s.requireSymbols && !/[^\p{L}\p{Nd}]/u.test(password)) broken.push({ rule: 'password_missing_symbol', message: 'a symbol (neither a letter nor a digit)' });
    if (s.preventUserInfo) {
      const lower = password.toLowerCase();
      const parts = [who.username, who.email?.split('@')[0]].filter((p): p is string => !!p && p.length >= 3).map((p) => p.toLowerCase());
      if (parts.some((p) => lower.includes(p))) broken.push({ rule: 'password_contains_user_info', message: 'must not contain the username or the email name' });
    }
    if (s.preventCommon && deps.common().has(password.toLowerCase())) broken.push({ rule: 'password_too_common', message: 'is one of the most common passwords' });
    return broken;
  }

  function reject(broken: Broken[]): never {
    const first = broken[0]!;
    throw new AppError(first.rule, { details: broken.map((b) => ({ field: 'password', rule: b.rule, message: b.message })) });
  }

  return {
    settings: s,
    /** Throws the first broken rule's code (all of them in `details`); resolves when the password is acceptable. */
    async check(password: string, who: PolicySubject = {}): Promise<void> {
      const broken = cheapRules(password, who);
      if (broken.length) reject(broken);
      if (s.historyCount > 0 && who.previousHashes) {
        for (const hash of await who.previousHashes()) {
          if ((await deps.passwords.verify(hash, password)).ok) reject([{ rule: 'password_reused', message: `must differ from the last ${s.historyCount} passwords` }]);
        }
      }
      if (s.breachCheck && deps.breach) {
        const result = await deps.breach(password);
        if (result.status === 'breached') reject([{ rule: 'password_breached', message: 'appears in known data breaches' }]);
        if (result.status === 'unavailable') {
          deps.log.warn({ reason: result.reason }, 'password breach check unavailable: the local list of common passwords was used instead');
          if (!s.preventCommon && deps.common().has(password.toLowerCase())) reject([{ rule: 'password_too_common', message: 'is one of the most common passwords' }]);
        }
      }
    },
    /** The active rules, for GET /auth/password-policy. */
    describe() {
      return { ...s, commonListSize: s.preventCommon ? deps.common().size : 0 };
    },
  };
}

export type PasswordPolicy = ReturnType<typeof createPasswordPolicy>;
