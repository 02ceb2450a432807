// Headers of a middleware that does not look at the request (helmet), taken once so that
// each reply can get the whole set in one step.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The headers a request-independent middleware (helmet) sets, recorded once. */
export function recordHeaders(middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number | string[]) => { headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value); },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()]; },
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  let failed: unknown;
  middleware({ headers: {}, method: 'GET', url: '/' } as IncomingMessage, res as unknown as ServerResponse, (err) => { failed = err; });
  if (failed) throw failed as Error;
  return headers;
}
