// Mail's part of the composition root: the transport (SMTP when AUTH_SMTP_HOST is set, the
// log otherwise), the outbox with its retries, the mailer over the templates, and the chore.
import type { NamedChore } from '../../core/chores.ts';
import type { Config } from '../../core/config/index.ts';
import { createMailer } from './mailer.ts';
import { createMailOutbox, type MailOutboxDeps } from './outbox.ts';
import type { Templates } from './templates.ts';
import { createLogTransport } from './transports/log.ts';
import { createSmtpTransport } from './transports/smtp.ts';

export function wireMail(config: Config, deps: Pick<MailOutboxDeps, 'db' | 'clock' | 'encrypter' | 'log'> & { templates: Templates }) {
  const { log } = deps;
  const transport = config.smtpHost
    ? createSmtpTransport({ host: config.smtpHost, port: config.smtpPort, secure: config.smtpSecure, user: config.smtpUser, pass: config.smtpPass, sender: config.smtpSender })
    // Production gets here only with AUTH_EMAIL_LOG_IN_PRODUCTION=true, and then logs no content.
    : createLogTransport(log, { contents: config.nodeEnv !== 'production' });
  const outbox = createMailOutbox({
    db: deps.db, clock: deps.clock, encrypter: deps.encrypter, transport, log, maxAttempts: config.emailMaxAttempts, retryDelay: config.emailRetryDelay, pollInterval: config.emailPollInterval,
  });
  const mailer = createMailer({ outbox, templates: deps.templates, appName: config.appName });
  const chores: NamedChore[] = [{ name: 'mail_outbox', prune: (limits) => outbox.prune(limits) }];
  return { outbox, mailer, chores };
}
