// Have I Been Pwned's range API with k-anonymity: only the first five hex characters of
// the password's SHA-1 leave the server; the answer lists every suffix with that prefix
// (padded with zero-count decoys), and the match is made here.
import { createHash } from 'node:crypto';

export type BreachResult = { status: 'breached'; count: number } | { status: 'clean' } | { status: 'unavailable'; reason: string };

export function createBreachChecker(opts: { baseUrl: string; timeoutMs: number; fetch?: typeof fetch }) {
  const doFetch = opts.fetch ?? fetch;
  return async function check(password: string): Promise<BreachResult> {
    const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = sha1.slice(0, 5);
    const suffix = sha1.slice(5);
    let body: string;
    try {
      const res = await doFetch(`${opts.baseUrl}/range/${prefix}`, {
        headers: { 'add-padding': 'true', 'user-agent': 'tessera-auth' },
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      if (!res.ok) return { status: 'unavailable', reason: `HTTP ${res.status}` };
      body = await res.text();
    } catch (err) {
      return { status: 'unavailable', reason: (err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message.slice(0, 100) };
    }
    for (const line of body.split(/\r?\n/)) {
      const [s, n] = line.trim().split(':');
      if (s === suffix) {
        const count = Number(n);
        return count > 0 ? { status: 'breached', count } : { status: 'clean' };
      }
    }
    return { status: 'clean' };
  };
}
