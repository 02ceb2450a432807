// With no SMTP server configured, each message is written to the log in full, links and
// codes included, so that a developer can follow every flow on a laptop. Start-up warns
// about it outside development.
import type { Logger } from 'pino';
import type { MailTransport, OutgoingMail } from './transport.ts';

export function createLogTransport(log: Logger): MailTransport {
  return {
    name: 'log',
    async send(mail: OutgoingMail) {
      log.info({ email: { to: mail.to, subject: mail.subject, body: mail.text } }, `email to ${mail.to}: ${mail.subject}\n\n${mail.text}`);
    },
    close: () => undefined,
  };
}
