// Without an SMTP server, messages go to the log instead of being sent.
//
// In development and test (`contents: true`) each message is written in full, links and
// codes included, so that a developer can follow every flow on a laptop. In production
// (only with AUTH_EMAIL_LOG_IN_PRODUCTION=true; the configuration refuses it otherwise)
// a line names the template and the recipient's domain, never the subject or the text:
// a reset link or a sign-in code in a log is a credential for whoever reads the log.
import type { Logger } from 'pino';
import type { MailMeta, MailTransport, OutgoingMail } from './transport.ts';

export interface LogTransportOptions {
  /** Whole messages (development, test), or the template and recipient domain only (production). */
  contents: boolean;
}

/** The part of an address after its last `@` (what a production log may show). */
export const recipientDomain = (to: string): string => {
  const at = to.lastIndexOf('@');
  return at >= 0 ? to.slice(at + 1).toLowerCase() : '(none)';
};

export function createLogTransport(log: Logger, opts: LogTransportOptions = { contents: true }): MailTransport {
  return {
    name: 'log',
    async send(mail: OutgoingMail, meta?: MailMeta) {
      if (!opts.contents) {
        const kind = meta?.kind ?? 'unknown';
        const domain = recipientDomain(mail.to);
        log.info({ email: { kind, toDomain: domain, ...(meta?.id ? { mailId: meta.id } : {}) } }, `email not sent (no SMTP server): ${kind} to a recipient at ${domain}`);
        return;
      }
      log.info({ email: { to: mail.to, subject: mail.subject, body: mail.text } }, `email to ${mail.to}: ${mail.subject}\n\n${mail.text}`);
    },
    close: () => undefined,
  };
}
