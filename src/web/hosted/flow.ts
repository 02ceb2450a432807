// What the sign-in, sign-up, password and MFA pages share: the checked `redirectTo` carried from
// page to page (so that the flow ends where the application asked), and the markup of a
// new-password field with the policy hint that password-rules.js fills in.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { errorPage, resolveTarget, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';

export interface Flow {
  /** The absolute, allowed URL to end at (`/ui/account` by default). */
  target: string;
  /** `redirectTo` as given ('' when absent), kept in the links to the other pages. */
  redirectTo: string;
  /** `?redirectTo=...` or ''. */
  keep: string;
  /** The body data-* attributes the page scripts read (`target()`, `hosted()`); `next` is where the browser goes. */
  data: Record<string, string>;
}

/** The request's flow, or undefined once an error page has been sent for a refused `redirectTo`. */
export function flowOf(ctx: WebContext, req: FastifyRequest, reply: FastifyReply): Flow | undefined {
  const given = (req.query as Record<string, unknown> | undefined)?.redirectTo;
  let target: string;
  try { target = resolveTarget(ctx, given); } catch (err) {
    if (err instanceof AppError) { errorPage(ctx, req, reply, err.code); return undefined; }
    throw err;
  }
  const redirectTo = typeof given === 'string' ? given : '';
  return { target, redirectTo, keep: redirectTo ? `?redirectTo=${encodeURIComponent(redirectTo)}` : '', data: { target, 'redirect-to': redirectTo, next: nextOf(ctx, target) } };
}

const OWN_PAGE = /^\/(?:ui|admin\/ui)(?:\/|$)/;

/**
 * Where the browser goes at the end of the flow: one of the service's own pages as a path,
 * so that the browser stays on the origin it opened the flow on (http://127.0.0.1:4000
 * beside the default AUTH_PUBLIC_URL http://localhost:4000), which its refresh cookie
 * belongs to; any other target as it is. `target` stays absolute for the API calls.
 */
function nextOf(ctx: WebContext, target: string): string {
  const u = new URL(target);
  return u.origin === new URL(ctx.publicUrl).origin && OWN_PAGE.test(u.pathname) ? `${u.pathname}${u.search}${u.hash}` : target;
}

/** A new-password field (with its confirmation when `confirm` is given), described by the policy hint. */
export function newPassword(o: { id: string; label: string; confirm?: string }): Html {
  return html`<div class="field"><label for="${o.id}">${o.label}</label>
    <input id="${o.id}" name="password" type="password" autocomplete="new-password" required aria-describedby="password-rules">
    <div class="hint" id="password-rules" hidden></div></div>
  ${o.confirm ? html`<div class="field"><label for="${o.id}-confirm">${o.confirm}</label>
    <input id="${o.id}-confirm" name="confirm" type="password" autocomplete="new-password" required></div>` : ''}`;
}

/** Shown (by the page script) when the step a page continues is not waiting in this tab: say so, offer a new sign-in. */
export function nothingPending(flow: Flow, text: string, signIn: string): Html {
  return html`<div id="none" hidden>
  <p class="status info" role="status">${text}</p>
  <p class="actions"><a class="button" href="/ui/sign-in${flow.keep}">${signIn}</a></p>
</div>`;
}
