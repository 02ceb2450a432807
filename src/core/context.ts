// Who is asking, from where, for the length of one request. Set once per request in
// app.ts (AsyncLocalStorage), completed by the auth guards; read by the audit log, so
// that services need not pass the caller's address and agent through every call.
import { AsyncLocalStorage } from 'node:async_hooks';

export type Actor =
  | { type: 'user'; id: string }
  | { type: 'service_account'; id: string }
  | { type: 'system' }
  | { type: 'anonymous' };

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  /** The authenticated caller, once a guard has accepted a token. */
  actor?: Actor;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (the rest of a request) with this context. */
export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The current request's context; undefined outside a request (CLI, workers). */
export function requestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Records the authenticated caller of the current request. */
export function setActor(actor: Actor): void {
  const ctx = storage.getStore();
  if (ctx) ctx.actor = actor;
}
