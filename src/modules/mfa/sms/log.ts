// Development provider: the message goes to the log (code included), nothing is sent.
import type { Logger } from 'pino';
import type { SmsProvider } from './provider.ts';

export function createLogSmsProvider(log: Logger): SmsProvider {
  return {
    name: 'log',
    async send(to, text) {
      log.info({ sms: { to } }, `SMS to ${to}: ${text}`);
    },
  };
}
