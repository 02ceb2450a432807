// A real SMTP server in the test process (smtp-server), parsing each delivered message
// with mailparser, so that tests read what a mailbox would receive and follow its links.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}

export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  readonly logins: { user: string; pass: string }[] = [];
  private server: SMTPServer | undefined;
  private waiters = new Set<() => void>();
  port = 0;

  constructor(private readonly auth?: { user: string; pass: string }) {}

  /** Listens on `port` (a free one the first time, the same one after `stop()`). */
  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: !this.auth,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      closeTimeout: 100,
      logger: false,
      onAuth: (auth, _session, cb) => {
        this.logins.push({ user: auth.username ?? '', pass: auth.password ?? '' });
        if (this.auth && (auth.username !== this.auth.user || auth.password !== this.auth.pass)) return cb(new Error('Invalid username or password'));
        cb(null, { user: auth.username });
      },
      onData: (stream, session, cb) => {
        simpleParser(stream).then((m) => {
          const to = session.envelope.rcptTo.map((r) => r.address).join(',');
          this.messages.push({ to, from: m.from?.text ?? '', subject: m.subject ?? '', text: m.text ?? '', html: typeof m.html === 'string' ? m.html : '' });
          for (const w of this.waiters) w();
          cb();
        }, (err: Error) => cb(err));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as { port: number }).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Settings that send a test app's mail here. */
  env(): Record<string, string> {
    return {
      AUTH_SMTP_HOST: '127.0.0.1', AUTH_SMTP_PORT: String(this.port), AUTH_SMTP_SENDER: 'Tessera Test <auth@tessera.test>',
      ...(this.auth ? { AUTH_SMTP_USER: this.auth.user, AUTH_SMTP_PASS: this.auth.pass } : {}),
    };
  }

  to(address: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to === address.toLowerCase());
  }

  /** The first message (not in `seen`) matching `pred`, waiting up to `ms` for it. */
  async waitFor(pred: (m: ReceivedMail) => boolean, ms = 10_000): Promise<ReceivedMail> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.messages.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching email within ${ms} ms (have: ${this.messages.map((m) => `${m.to}: ${m.subject}`).join(' | ') || 'none'})`);
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); this.waiters.delete(done); resolve(); };
        const timer = setTimeout(done, Math.min(left, 200));
        this.waiters.add(done);
      });
    }
  }

  /** The newest message to `address` whose subject matches, waiting for it to arrive. */
  async latest(address: string, subject: RegExp, after = 0): Promise<ReceivedMail> {
    await this.waitFor((m) => m.to === address.toLowerCase() && subject.test(m.subject) && this.messages.indexOf(m) >= after);
    return this.messages.filter((m) => m.to === address.toLowerCase() && subject.test(m.subject)).at(-1)!;
  }
}

/** The 6-digit code of a message. */
export function codeOf(mail: ReceivedMail): string {
  const m = /\b(\d{6})\b/.exec(mail.text);
  if (!m) throw new Error(`no code in: ${mail.text}`);
  return m[1]!;
}

/** The first link in a message's text that starts with `prefix`. */
export function linkOf(mail: ReceivedMail, prefix: string): string {
  const m = mail.text.split(/\s+/).find((w) => w.startsWith(prefix));
  if (!m) throw new Error(`no link starting with ${prefix} in: ${mail.text}`);
  return m;
}

/** The token query parameter of a link. */
export function tokenOf(link: string): string {
  return new URL(link).searchParams.get('token') ?? '';
}
