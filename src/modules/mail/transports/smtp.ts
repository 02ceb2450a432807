// Delivery over SMTP with nodemailer. One pooled connection keeps bursts cheap; the
// timeouts are short so that an unreachable server fails the attempt, not the worker.
import type { Transporter } from 'nodemailer';
import type { MailTransport, OutgoingMail } from './transport.ts';

export interface SmtpOptions {
  host: string;
  port: number;
  secure: boolean;
  user?: string | undefined;
  pass?: string | undefined;
  sender: string;
}

export function createSmtpTransport(opts: SmtpOptions): MailTransport {
  // nodemailer is loaded with the first message, not at start-up.
  let transporter: Transporter | undefined;
  const open = async () => (transporter ??= (await import('nodemailer')).default.createTransport({
    host: opts.host,
    port: opts.port,
    secure: opts.secure,
    ...(opts.user ? { auth: { user: opts.user, pass: opts.pass ?? '' } } : {}),
    pool: true,
    maxConnections: 2,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  }));
  return {
    name: 'smtp',
    async send(mail: OutgoingMail) {
      await (await open()).sendMail({ from: opts.sender, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    },
    close: () => transporter?.close(),
  };
}
