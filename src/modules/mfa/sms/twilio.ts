// Twilio's Messages API: form-encoded POST with HTTP Basic authentication (account SID and
// auth token). The base URL is configurable (tests point it at a local server).
import type { SmsProvider } from './provider.ts';

export function createTwilioProvider(opts: { accountSid: string; authToken: string; from: string; baseUrl: string }): SmsProvider {
  return {
    name: 'twilio',
    async send(to, text) {
      const url = `${opts.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(opts.accountSid)}/Messages.json`;
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ To: to, From: opts.from, Body: text }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`Twilio answered HTTP ${res.status}`);
    },
  };
}
