// Passwords' part of the composition root: the policy's rules from configuration, with
// the common-password list and, when enabled, the breach check.
import type { Config } from '../../core/config/index.ts';
import { createBreachChecker } from './breach.ts';
import { commonPasswords } from './common.ts';
import { createPasswordPolicy, type PolicyDeps } from './policy.ts';

export function wirePasswords(config: Config, deps: Pick<PolicyDeps, 'passwords' | 'log'>) {
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
    passwords: deps.passwords, log: deps.log,
  });
  return { policy };
}
