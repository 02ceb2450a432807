// The hosted pages under /ui: one file per page or group of pages, each a function that
// registers its routes on the scope given.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { signInPages } from './sign-in.ts';

export async function hostedPages(app: FastifyInstance, ctx: WebContext): Promise<void> {
  signInPages(app, ctx);
}
