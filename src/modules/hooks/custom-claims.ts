// The custom-claims hook: asked for extra claims each time a user access token is minted
// (every sign-in method, and refresh). What it answers is merged under the reserved-claim
// rule; when it cannot answer, the configured outcome applies: `closed` refuses the token
// (503 hook_failed), `open` issues it without the hook's claims.
import type { Logger } from 'pino';
import { AppError } from '../../core/errors/index.ts';
import type { AccessClaims, TokenSubject } from '../tokens/index.ts';
import type { HookClient, HookFailure } from './hook-client.ts';
import { MAX_ADDED_CLAIMS_BYTES, mergeClaims } from './reserved-claims.ts';

export type OnFailure = 'open' | 'closed';

export interface CustomClaimsContext {
  user: TokenSubject;
  /** Why the token is minted: a sign-in (any method) or a refresh. */
  trigger: 'sign_in' | 'refresh';
}

/** Completes a token's claims with the hook's; throws hook_failed when it fails closed. */
export type CustomClaims = (claims: AccessClaims, ctx: CustomClaimsContext) => Promise<AccessClaims>;

export interface CustomClaimsDeps {
  client: HookClient;
  onFailure: OnFailure;
  log: Pick<Logger, 'debug' | 'warn' | 'error'>;
}

/** Longest claim name, and most names, written to a log line. */
const LOGGED_NAME_LENGTH = 100;
const LOGGED_NAMES = 50;

export function createCustomClaimsHook(deps: CustomClaimsDeps): CustomClaims {
  const { client, log } = deps;
  return async (claims, ctx) => {
    const outcome = await client.call({
      type: 'custom_claims',
      trigger: ctx.trigger,
      userId: ctx.user.id,
      sessionId: claims.sid,
      user: { id: ctx.user.id, email: ctx.user.email, username: ctx.user.username, role: ctx.user.role, metadata: ctx.user.metadata ?? {} },
      amr: claims.amr ?? [],
      claims,
    });
    // Never the answer itself in a log line: it may carry personal data.
    const about = { hook: 'custom_claims', userId: ctx.user.id, sessionId: claims.sid, trigger: ctx.trigger, ms: outcome.ms };
    const failed = (reason: HookFailure, status?: number): AccessClaims => {
      const fields = { ...about, reason, ...(status !== undefined ? { status } : {}), onFailure: deps.onFailure };
      if (deps.onFailure === 'closed') {
        log.error(fields, 'custom claims hook failed: token refused (AUTH_HOOK_CUSTOM_CLAIMS_ON_FAILURE=closed)');
        throw new AppError('hook_failed');
      }
      log.warn(fields, 'custom claims hook failed: token issued without its claims (AUTH_HOOK_CUSTOM_CLAIMS_ON_FAILURE=open)');
      return claims;
    };
    if (!outcome.ok) return failed(outcome.reason, outcome.status);
    const extra = outcome.body.claims;
    if (extra === undefined || extra === null) return claims;
    if (typeof extra !== 'object' || Array.isArray(extra)) return failed('invalid_response', outcome.status);
    const merged = mergeClaims(claims, extra as Record<string, unknown>);
    if (merged.bytes > MAX_ADDED_CLAIMS_BYTES) return failed('too_large', outcome.status);
    if (merged.dropped.length) {
      const dropped = merged.dropped.slice(0, LOGGED_NAMES).map((n) => n.slice(0, LOGGED_NAME_LENGTH));
      log.warn({ ...about, dropped, droppedCount: merged.dropped.length }, 'custom claims hook: reserved claims ignored');
    }
    log.debug({ ...about, added: merged.added.slice(0, LOGGED_NAMES).map((n) => n.slice(0, LOGGED_NAME_LENGTH)) }, 'custom claims hook answered');
    return merged.claims;
  };
}
