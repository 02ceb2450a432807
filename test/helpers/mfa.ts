// The steps of second-factor tests: a TOTP code at a given time, a native sign-in, the
// answer to a challenge, and a user who enrolled TOTP.
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import type { ManualClock } from '../../src/core/clock.ts';
import { bearer, json, register, type Credentials, type TestApp } from './app.ts';

export const totp = (secret: string, ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });

export const loginReq = (t: TestApp, c: Pick<Credentials, 'email' | 'password'>, client = 'native') =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: c.email, password: c.password, client } });

export const second = (t: TestApp, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/auth/login/mfa', payload });

/** Registers, signs in and enrolls TOTP; returns the secret, recovery codes and the user row. */
export async function withTotp(t: TestApp, clock: ManualClock) {
  const { creds } = await register(t.app);
  const first = json(await loginReq(t, creds));
  const setup = json(await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/setup', headers: bearer(first.accessToken) }));
  const verify = await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/verify', headers: bearer(first.accessToken), payload: { code: await totp(setup.secret, clock.now()) } });
  assert.equal(verify.statusCode, 200, verify.body);
  clock.advance(30_000); // the enrollment code's step is spent
  const user = (await t.deps.users.findByEmail(creds.email))!;
  return { creds, secret: setup.secret as string, recoveryCodes: json(verify).recoveryCodes as string[], accessToken: first.accessToken as string, setup, user };
}
