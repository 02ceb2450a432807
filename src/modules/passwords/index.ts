// Passwords owns the password policy: length and character rules, the common-password
// list, the user-information rule, reuse of earlier passwords, expiry, and the breach
// check against Have I Been Pwned.
export { createPasswordPolicy, type PasswordPolicy, type PolicySettings, type PolicySubject } from './policy.ts';
export { createBreachChecker, type BreachResult } from './breach.ts';
export { commonPasswords } from './common.ts';
export { passwordPolicyRoutes } from './passwords.routes.ts';
export { wirePasswords } from './wiring.ts';
