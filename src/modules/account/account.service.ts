// The email flows of an account: verification at registration, password reset and
// change, and change of email. Each proof (link or code) is checked and spent in the
// same transaction as its effect; messages are queued in that transaction and sent
// after commit. Answers to requests naming an address never depend on whether an
// account exists there: the account part of such a request runs after the answer.
//
// Each use case is a plain function taking AccountDeps first, in a file per theme
// (registration, verification, password-reset, email-change, profile); this file binds
// them to one set of dependencies for the composition root and the routes.
import type { Background } from '../../core/background.ts';
import { createKeyedHasher } from '../../core/crypto/index.ts';
import type { Db } from '../../database.ts';
import type { UserRow } from '../users/index.ts';
import type { AccountDeps, AccountServiceDeps } from './account-deps.ts';
import { confirmEmailChange, requestEmailChange } from './email-change.ts';
import type { Proof } from './one-time-tokens.ts';
import { forgotPassword, issuePasswordChange, replaceExpiredPassword, resetPassword, sendPasswordEmail } from './password-reset.ts';
import { changePassword, changeUsername, deleteAccount } from './profile.ts';
import { register, type RegisterInput } from './registration.ts';
import { resendVerification, resendVerificationFor, verifyEmail } from './verification.ts';

export type { AccountDeps, AccountServiceDeps, AccountSettings } from './account-deps.ts';

export function createAccountService(deps: AccountServiceDeps, background: Background) {
  const all: AccountDeps = { ...deps, background, registrantKey: createKeyedHasher(deps.secret, 'tessera/registrant/v1') };
  return {
    changeUsername: (userId: string, username: string) => changeUsername(all, userId, username),
    deleteAccount: (userId: string) => deleteAccount(all, userId),
    sendPasswordEmail: (trx: Db, user: UserRow, kind: 'password_reset' | 'password_setup') => sendPasswordEmail(all, trx, user, kind),
    issuePasswordChange: (user: UserRow, amr: string[]) => issuePasswordChange(all, user, amr),
    replaceExpiredPassword: (token: string, password: string) => replaceExpiredPassword(all, token, password),
    register: (input: RegisterInput) => register(all, input),
    verifyEmail: (proof: Proof, registrant?: string, registrationId?: string) => verifyEmail(all, proof, registrant, registrationId),
    resendVerification: (email: string) => resendVerification(all, email),
    resendVerificationFor: (verificationId: string) => resendVerificationFor(all, verificationId),
    forgotPassword: (email: string) => forgotPassword(all, email),
    resetPassword: (proof: Proof, password: string) => resetPassword(all, proof, password),
    changePassword: (userId: string, sessionId: string, current: string, next: string) => changePassword(all, userId, sessionId, current, next),
    requestEmailChange: (userId: string, newEmail: string) => requestEmailChange(all, userId, newEmail),
    confirmEmailChange: (proof: Proof) => confirmEmailChange(all, proof),
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
