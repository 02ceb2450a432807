// The face other modules use: render a kind of message in the recipient's locale and
// queue it in the caller's transaction. Common values (the product name) are added here.
import type { WriteBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { MailOutbox } from './outbox.ts';
import type { MailKind, Templates } from './templates.ts';

export interface MailerDeps {
  outbox: MailOutbox;
  templates: Templates;
  appName: string;
}

export function createMailer(deps: MailerDeps) {
  const { outbox, templates } = deps;
  return {
    templates,
    /** Renders and queues one message; it leaves once the transaction has committed and `flush()` ran. */
    async send(trx: Db, kind: MailKind, to: string, locale: string, values: Record<string, unknown>): Promise<string> {
      const rendered = templates.render(kind, locale, { appName: deps.appName, ...values });
      return outbox.enqueue(trx, kind, { to, ...rendered });
    },
    /** send as a write of a batch. */
    sendBatched(batch: WriteBatch, kind: MailKind, to: string, locale: string, values: Record<string, unknown>): string {
      return outbox.enqueueBatched(batch, kind, { to, ...templates.render(kind, locale, { appName: deps.appName, ...values }) });
    },
    /** Starts delivery of what was just committed (without waiting for it). */
    flush(): void {
      void outbox.kick();
    },
    /** A duration in the locale's words, for "expires in ...". */
    duration: (locale: string, seconds: number) => templates.duration(locale, seconds),
  };
}

export type Mailer = ReturnType<typeof createMailer>;
