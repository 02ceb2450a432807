// Bot checks with Cloudflare Turnstile or hCaptcha: the client sends the widget's token
// as `captchaToken`, and the server verifies it with the provider (form-encoded secret,
// response and remote IP; JSON `{success}` back). Any failure to verify refuses.
import type { Logger } from 'pino';
import { AppError } from '../../core/errors/index.ts';

const VERIFY_URLS = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
} as const;

export interface CaptchaOptions {
  provider: keyof typeof VERIFY_URLS;
  secret: string;
  verifyUrl?: string | undefined;
  log: Logger;
  timeoutMs?: number;
}

export interface Captcha {
  readonly provider: string;
  /** Throws captcha_required without a token, captcha_invalid when the provider says no. */
  verify(token: string | undefined, ip: string | undefined): Promise<void>;
}

export function createCaptcha(opts: CaptchaOptions): Captcha {
  const url = opts.verifyUrl ?? VERIFY_URLS[opts.provider];
  return {
    provider: opts.provider,
    async verify(token, ip) {
      if (!token) throw new AppError('captcha_required');
      const form = new URLSearchParams({ secret: opts.secret, response: token, ...(ip ? { remoteip: ip } : {}) });
      let ok = false;
      try {
        const res = await fetch(url, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
        const body = (await res.json()) as { success?: unknown; 'error-codes'?: unknown };
        ok = res.ok && body.success === true;
        if (!ok) opts.log.info({ captcha: opts.provider, errors: body['error-codes'] }, 'captcha refused');
      } catch (err) {
        opts.log.warn({ captcha: opts.provider, err: (err as Error).message }, 'captcha verification unavailable: refused');
      }
      if (!ok) throw new AppError('captcha_invalid');
    },
  };
}
