// One refresh at a time per browser, across every tab of an origin. With Web Locks the
// tab that gets the lock refreshes and broadcasts the new access token before it lets go,
// so a tab that waited finds a fresh token and sends nothing. Without Web Locks the tabs
// elect one refresher over a BroadcastChannel (lowest claim wins) and the others wait for
// its broadcast. Outside browsers (no BroadcastChannel), refreshes are only deduplicated
// within the process.

export interface SharedSession {
  accessToken: string;
  expiresAt: number;
  user: Record<string, unknown> | null;
}

export type TabMessage =
  | { type: 'session'; session: SharedSession }
  | { type: 'signed_out' }
  | { type: 'claim'; id: string; at: number };

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
  private claims: { id: string; at: number }[] = [];
  private waiters: ((m: TabMessage) => void)[] = [];

  /** `enabled` false (native clients): no channel, no locks; refreshes are deduplicated in-process only. */
  constructor(private readonly name: string, private readonly onMessage: (m: TabMessage) => void, enabled = true) {
    const g = globalThis as { BroadcastChannel?: typeof BroadcastChannel; navigator?: { locks?: LockManagerLike } };
    this.channel = enabled && typeof g.BroadcastChannel === 'function' ? new g.BroadcastChannel(name) : undefined;
    this.locks = enabled && g.navigator?.locks && typeof g.navigator.locks.request === 'function' ? g.navigator.locks : undefined;
    this.channel?.addEventListener('message', (e: MessageEvent<TabMessage>) => {
      const m = e.data;
      if (m.type === 'claim') this.claims.push({ id: m.id, at: m.at });
      else {
        this.onMessage(m);
        for (const w of this.waiters.splice(0)) w(m);
      }
    });
  }

  /** Whether other tabs are reachable (browsers). */
  get shared(): boolean {
    return this.channel !== undefined;
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
    // Election: claim, listen, and refresh only when no earlier claim was heard.
    const mine = { id: this.id, at: Date.now() };
    this.claims = [];
    const result = this.next();
    this.post({ type: 'claim', ...mine });
    await new Promise((r) => setTimeout(r, ELECTION_MS));
    const first = [...this.claims, mine].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))[0]!;
    if (first.id === mine.id || fresh()) {
      if (!fresh()) await refresh();
      return;
    }
    const got = await Promise.race([result, new Promise<undefined>((r) => setTimeout(() => r(undefined), WAIT_MS))]);
    if (!got && !fresh()) await refresh();
  }

  /** The next session or sign-out message from another tab. */
  private next(): Promise<TabMessage> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.channel?.close();
  }
}
