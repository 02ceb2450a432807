// The hosted pages under /ui: one file per page or group of pages, each a function that
// registers its routes on the scope given.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { signInPages } from './sign-in.ts';
import { accountPages } from './account.ts';
import { signUpPages } from './sign-up.ts';
import { passwordPages } from './password.ts';
import { mfaPages } from './mfa.ts';
import { invitationPages } from './invitation.ts';

export async function hostedPages(app: FastifyInstance, ctx: WebContext): Promise<void> {
  signInPages(app, ctx);
  accountPages(app, ctx);
  signUpPages(app, ctx);
  passwordPages(app, ctx);
  mfaPages(app, ctx);
  invitationPages(app, ctx);
}
