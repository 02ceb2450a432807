// The one way Tessera calls a synchronous hook: a signed JSON POST with a deadline, no
// redirects, and a bounded, JSON-object answer. A call never throws: it says what came
// back, or why nothing usable did, and each hook decides what a failure means.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { signedHeaders } from '../../core/crypto/index.ts';

/** Largest answer read from a hook; a longer one is a failure. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export type HookFailure =
  /** No complete answer within the timeout. */
  | 'timeout'
  /** Connection refused, reset, DNS failure and the like. */
  | 'network'
  /** A status other than 2xx (redirects are not followed). */
  | 'http_status'
  /** The answer is longer than MAX_RESPONSE_BYTES. */
  | 'too_large'
  /** The answer is not a JSON object (an empty body counts only with 204). */
  | 'invalid_json'
  /** A JSON object that breaks the hook's own contract (decided by the hook). */
  | 'invalid_response';

export type HookOutcome =
  | { ok: true; status: number; body: Record<string, unknown>; ms: number }
  | { ok: false; reason: HookFailure; status?: number; ms: number };

export interface HookClientOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  clock: Clock;
  /** Replaceable in tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

export interface HookClient {
  readonly url: string;
  /** POSTs `payload` as JSON, signed; never throws. */
  call(payload: Record<string, unknown>): Promise<HookOutcome>;
}

export function createHookClient(opts: HookClientOptions): HookClient {
  const doFetch = opts.fetch ?? fetch;
  return {
    url: opts.url,
    async call(payload) {
      const started = performance.now();
      const ms = () => Math.round(performance.now() - started);
      const body = JSON.stringify(payload);
      const headers = {
        'content-type': 'application/json', accept: 'application/json', 'user-agent': 'Tessera-Hooks',
        ...signedHeaders(opts.secret, `hook_${randomUUID()}`, opts.clock.now(), body),
      };
      try {
        // One deadline covers connecting, the status line and reading the body.
        const res = await doFetch(opts.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs) });
        if (res.status < 200 || res.status > 299) {
          await res.body?.cancel().catch(() => undefined);
          return { ok: false, reason: 'http_status', status: res.status, ms: ms() };
        }
        const text = await readLimited(res, MAX_RESPONSE_BYTES);
        if (text === undefined) return { ok: false, reason: 'too_large', status: res.status, ms: ms() };
        if (res.status === 204 && text.trim() === '') return { ok: true, status: res.status, body: {}, ms: ms() };
        const parsed = parseObject(text);
        if (!parsed) return { ok: false, reason: 'invalid_json', status: res.status, ms: ms() };
        return { ok: true, status: res.status, body: parsed, ms: ms() };
      } catch (err) {
        const name = (err as { name?: string }).name;
        return { ok: false, reason: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network', ms: ms() };
      }
    },
  };
}

/** The body as text, or undefined once it passes `max` bytes (the rest is not read). */
async function readLimited(res: Response, max: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
