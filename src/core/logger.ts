// pino, configured so that secrets cannot reach a log line: credentials in headers and
// bodies are redacted by path, and token-like query parameters are masked in URLs.
import { pino, type DestinationStream, type Logger } from 'pino';

const SECRET_KEYS = ['password', 'currentPassword', 'newPassword', 'refreshToken', 'refresh_token', 'accessToken', 'token', 'code', 'secret', 'client_secret'];

export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `body.${k}`),
];

const SECRET_QUERY = /([?&](?:token|code|refresh_token|access_token|password|secret|state)=)[^&#]*/gi;

/** Masks secret-bearing query parameters of a URL for logging. */
export function sanitizeUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[Redacted]');
}

export function createLogger(opts: { level: string; stream?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      redact: { paths: redactPaths, censor: '[Redacted]' },
      serializers: {
        req: (req: { id?: string; method?: string; url?: string; ip?: string }) => ({ id: req.id, method: req.method, url: sanitizeUrl(req.url ?? ''), ip: req.ip }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    opts.stream,
  );
}
