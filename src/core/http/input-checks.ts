// Checks every request's query string, path parameters and body before its schema does,
// whatever the route: PostgreSQL refuses NUL in text and unpaired surrogates in jsonb (a
// 500 in the middle of a query otherwise), and a value nested thousands of levels deep
// overflows the stack of whatever walks it recursively later (JSON.stringify, a
// serializer). All three are 400 `validation_failed` naming the field. A route whose
// schema has no body takes none: any field sent is refused like an unknown one.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { AppError } from '../errors/index.ts';

/** Deepest nesting of arrays and objects accepted in a body (`{}` is depth 1). */
export const MAX_BODY_DEPTH = 64;

// With the `u` flag a surrogate pair is one code point: \p{Cs} matches only an unpaired one.
const BAD_CHARACTER = /[\u0000\p{Cs}]/u;

interface Problem { path: (string | number)[]; message: string }

function characterProblem(s: string): string {
  return s.includes('\u0000') ? 'must not contain NUL characters' : 'must not contain unpaired surrogates (invalid Unicode)';
}

function nameProblem(name: string): string {
  return name.includes('\u0000') ? 'holds a field name with a NUL character' : 'holds a field name with an unpaired surrogate (invalid Unicode)';
}

/**
 * A problem in a parsed value, if it has one: a bad string (value or field name), or
 * nesting past `maxDepth`. Iterative, so that no depth can overflow the stack; strings
 * are checked as they are met, and only arrays and objects are kept to visit.
 */
export function findInputProblem(value: unknown, maxDepth = MAX_BODY_DEPTH): Problem | undefined {
  if (typeof value === 'string') return BAD_CHARACTER.test(value) ? { path: [], message: characterProblem(value) } : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  interface Node { v: object; depth: number; key: string | number | undefined; parent: Node | undefined }
  const pathOf = (n: Node, last?: string | number): (string | number)[] => {
    const path: (string | number)[] = last === undefined ? [] : [last];
    for (let at: Node | undefined = n; at && at.key !== undefined; at = at.parent) path.unshift(at.key);
    return path;
  };
  const stack: Node[] = [{ v: value, depth: 1, key: undefined, parent: undefined }];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.depth > maxDepth) {
      // Named by its top-level field (the full path would be as long as the nesting).
      const top = pathOf(node)[0];
      return { path: typeof top === 'string' ? [top] : [], message: `is nested too deeply (at most ${maxDepth} levels)` };
    }
    const visit = (child: unknown, key: string | number): Problem | undefined => {
      if (typeof child === 'string') return BAD_CHARACTER.test(child) ? { path: pathOf(node, key), message: characterProblem(child) } : undefined;
      if (typeof child === 'object' && child !== null) stack.push({ v: child, depth: node.depth + 1, key, parent: node });
      return undefined;
    };
    if (Array.isArray(node.v)) {
      for (let i = 0; i < node.v.length; i++) {
        const found = visit(node.v[i], i);
        if (found) return found;
      }
      continue;
    }
    for (const key of Object.keys(node.v)) {
      if (BAD_CHARACTER.test(key)) return { path: pathOf(node), message: nameProblem(key) };
      const found = visit((node.v as Record<string, unknown>)[key], key);
      if (found) return found;
    }
  }
  return undefined;
}

/** A path as validation details name fields (`metadata.a.0`). */
function fieldName(path: (string | number)[], root: string): string {
  return path.length ? path.join('.') : root;
}

function refuse(field: string, message: string): AppError {
  return new AppError('validation_failed', { details: [{ field, message }] });
}

const isEmptyObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/** The checks as a preValidation hook (a callback: no promise per request). */
export function checkRequestInput(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const found = findQueryProblem(req.query, 'querystring') ?? findQueryProblem(req.params, 'params') ?? bodyProblem(req);
  done(found);
}

/** Query strings and path parameters are flat (strings, or arrays of them). */
function findQueryProblem(values: unknown, root: string): AppError | undefined {
  if (typeof values !== 'object' || values === null) return undefined;
  for (const [k, v] of Object.entries(values)) {
    if (BAD_CHARACTER.test(k)) return refuse(root, nameProblem(k));
    for (const s of Array.isArray(v) ? v : [v]) {
      if (typeof s === 'string' && BAD_CHARACTER.test(s)) return refuse(k, characterProblem(s));
    }
  }
  return undefined;
}

function bodyProblem(req: FastifyRequest): AppError | undefined {
  const { body } = req;
  if (body === undefined || body === null) return undefined;
  if (!req.routeOptions.schema?.body && !isEmptyObject(body)) {
    if (typeof body !== 'object' || Array.isArray(body)) return refuse('body', 'must be empty: this request takes no body');
    const first = Object.keys(body)[0]!;
    return refuse(BAD_CHARACTER.test(first) ? 'body' : first, 'is not an accepted field: this request takes no body');
  }
  const problem = findInputProblem(body);
  return problem ? refuse(fieldName(problem.path, 'body'), problem.message) : undefined;
}
