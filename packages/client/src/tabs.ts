// One refresh at a time per browser, across every tab of an origin. With Web Locks the
// tab that gets the lock refreshes and broadcasts the new access token before it lets go,
// so a tab that waited finds a fresh token and sends nothing. Without Web Locks the tabs
// elect one refresher over a BroadcastChannel (earliest claim wins; a tab that hears a
// pending claim does not claim) and the others wait for its outcome. Outside browsers
// (no BroadcastChannel), refreshes are only deduplicated within the process.

export interface SharedSession {
  accessToken: string;
  expiresAt: number;
  user: Record<string, unknown> | null;
}

export type TabMessage =
  | { type: 'session'; session: SharedSession }
  | { type: 'signed_out' }
  | { type: 'claim'; id: string; at: number }
  | { type: 'done'; id: string };

interface LockManagerLike {
  request<T>(name: string, cb: () => Promise<T>): Promise<T>;
}

/** How long the refresher keeps the lock after broadcasting, so waiting tabs get the message first. */
const HANDOVER_MS = 50;
/** How long the election lasts without Web Locks. */
const ELECTION_MS = 40;
/** How long a tab waits for another tab's result before it refreshes itself. */
const WAIT_MS = 10_000;

export class TabCoordinator {
  private readonly channel: BroadcastChannel | undefined;
  private readonly locks: LockManagerLike | undefined;
  private readonly id = Math.random().toString(36).slice(2) + Date.now().toString(36);
  /** Refresh claims of other tabs heard and not yet followed by their outcome. */
  private claims: { id: string; at: number; heard: number }[] = [];
  private waiters: ((m: TabMessage | undefined) => void)[] = [];

  /** `enabled` false (native clients): no channel, no locks; refreshes are deduplicated in-process only. */
  constructor(private readonly name: string, private readonly onMessage: (m: TabMessage) => void, enabled = true) {
    const g = globalThis as { BroadcastChannel?: typeof BroadcastChannel; navigator?: { locks?: LockManagerLike } };
    this.channel = enabled && typeof g.BroadcastChannel === 'function' ? new g.BroadcastChannel(name) : undefined;
    this.locks = enabled && g.navigator?.locks && typeof g.navigator.locks.request === 'function' ? g.navigator.locks : undefined;
    this.channel?.addEventListener('message', (e: MessageEvent<TabMessage>) => {
      const m = e.data;
      if (m.type === 'claim') {
        this.claims.push({ id: m.id, at: m.at, heard: Date.now() });
        return;
      }
      if (m.type !== 'done') this.onMessage(m);
      // A refresher's last word (after its session message, in order) settles the claims.
      if (m.type === 'done' || m.type === 'signed_out') {
        this.claims = [];
        for (const w of this.waiters.splice(0)) w(m);
      }
    });
  }

  /** Tells the other tabs. */
  post(m: TabMessage): void {
    this.channel?.postMessage(m);
  }

  /**
   * Runs `refresh` in one tab only. `fresh()` says whether another tab refreshed since
   * this one asked (its token arrived meanwhile); then nothing is sent.
   */
  async exclusive(fresh: () => boolean, refresh: () => Promise<void>): Promise<void> {
    if (this.locks) {
      await this.locks.request(`${this.name}:refresh`, async () => {
        if (fresh()) return;
        await refresh();
        await new Promise((r) => setTimeout(r, HANDOVER_MS));
      });
      return;
    }
    if (!this.channel) {
      await refresh();
      return;
    }
    // Without locks: wait while another tab's claim is pending, then claim, listen during
    // the election, and refresh only when no earlier claim was heard. The refresher always
    // ends with a message (session, signed_out or done), which settles the claims.
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      this.claims = this.claims.filter((c) => now - c.heard < WAIT_MS);
      if (this.claims.length > 0) {
        await this.outcome();
        if (fresh()) return;
        continue;
      }
      const mine = { id: this.id, at: now };
      this.post({ type: 'claim', ...mine });
      await new Promise((r) => setTimeout(r, ELECTION_MS));
      const first = [...this.claims, mine].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))[0]!;
      if (first.id !== mine.id) {
        await this.outcome();
        if (fresh()) return;
        continue;
      }
      if (fresh()) {
        this.post({ type: 'done', id: this.id });
        return;
      }
      try {
        await refresh();
      } finally {
        this.post({ type: 'done', id: this.id });
      }
      return;
    }
    // Tabs that keep failing to agree: refresh here rather than never.
    if (!fresh()) await refresh();
  }

  /** Another tab's outcome, or undefined after WAIT_MS. */
  private outcome(): Promise<TabMessage | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(undefined);
      }, WAIT_MS);
      const done = (m: TabMessage | undefined) => { clearTimeout(timer); resolve(m); };
      this.waiters.push(done);
    });
  }

  close(): void {
    this.channel?.close();
  }
}
