// The one body parser: JSON only (every other body type is 415, see app.ts).

/**
 * Parses a JSON request body. An empty body on a JSON request means "no body" (POST
 * /auth/refresh from a browser); a body that is not JSON is a 400.
 */
export function parseJsonBody(_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return done(null, undefined);
  // NUL, unpaired surrogates and deep nesting are refused after parsing, by
  // checkRequestInput (JSON.parse itself walks any depth without recursing).
  try {
    done(null, JSON.parse(text));
  } catch {
    const err = Object.assign(new SyntaxError('invalid JSON body'), { statusCode: 400 });
    done(err, undefined);
  }
}
