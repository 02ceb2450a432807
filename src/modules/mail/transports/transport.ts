// A mail transport delivers one rendered message or throws. The outbox owns retries.
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailTransport {
  readonly name: 'smtp' | 'log';
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}
