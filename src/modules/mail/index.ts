// Mail owns outgoing email: the templates (per kind and locale), the transports (SMTP,
// or the log in development) and the outbox that delivers queued messages from a
// background worker with retries. Other modules queue a message inside their own
// transaction with `mailer.send(trx, ...)` and call `mailer.flush()` after commit.
export { createMailOutbox, type MailOutbox } from './outbox.ts';
export { loadTemplates, MAIL_KINDS, DEFAULT_LOCALE, type MailKind, type Templates, type RenderedMail } from './templates.ts';
export { createSmtpTransport } from './transports/smtp.ts';
export { createLogTransport } from './transports/log.ts';
export type { MailTransport, OutgoingMail } from './transports/transport.ts';
export { createMailer, type Mailer } from './mailer.ts';
export type { MailOutboxTable } from './mail.table.ts';
export { wireMail } from './wiring.ts';
