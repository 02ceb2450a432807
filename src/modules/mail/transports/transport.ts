// A mail transport delivers one rendered message or throws. The outbox owns retries.
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** What the outbox knows of a message besides its content. */
export interface MailMeta {
  /** The template (`password_reset`, `email_code`, ...). */
  kind: string;
  id?: string | undefined;
}

export interface MailTransport {
  readonly name: 'smtp' | 'log';
  send(mail: OutgoingMail, meta?: MailMeta): Promise<void>;
  close(): void;
}
