// Request bodies are closed: a field the route's schema does not name is refused with
// 400 `validation_failed` naming it, never dropped, so that `{"isActive": false}` cannot
// pass for a change that was not made. Every object schema of a body that does not say
// otherwise gets `additionalProperties: false` (when routes are added, so the OpenAPI
// document shows what is validated); a route that must take open objects says so with
// `additionalProperties: true` or a schema for the extra values.
//
// Free-form JSON that is stored (user metadata) is marked `x-free-form`: its nesting
// depth and serialized size are bounded (AUTH_METADATA_MAX_DEPTH, _MAX_BYTES). Without
// the bound a deeply nested value overflows the stack wherever it is serialized later.

/** The bounds of a free-form JSON value, as the `x-free-form` keyword carries them. */
export interface FreeFormLimits {
  maxDepth: number;
  maxBytes: number;
}

type Schema = Record<string, unknown>;

const isSchema = (s: unknown): s is Schema => typeof s === 'object' && s !== null && !Array.isArray(s);

function isObjectSchema(s: Schema): boolean {
  const t = s.type;
  return t === 'object' || (Array.isArray(t) && t.includes('object')) || (t === undefined && isSchema(s.properties));
}

const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'] as const;
const SUBSCHEMAS = ['additionalProperties', 'items', 'contains', 'not', 'if', 'then', 'else', 'propertyNames'] as const;
const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'prefixItems'] as const;

/**
 * A copy of a body schema with every object schema closed unless it says otherwise, and
 * `x-free-form: true` replaced by the configured limits. The parts of an `allOf` are only
 * copied: closing each would refuse the fields the other parts name.
 */
export function closeBodySchema(schema: unknown, limits: FreeFormLimits, close = true): unknown {
  if (Array.isArray(schema)) return schema.map((s) => closeBodySchema(s, limits, close));
  if (!isSchema(schema)) return schema;
  const out: Schema = { ...schema };
  if (out['x-free-form'] === true) out['x-free-form'] = { ...limits };
  if (close && isObjectSchema(out) && out.additionalProperties === undefined && out.patternProperties === undefined && out.unevaluatedProperties === undefined) {
    out.additionalProperties = false;
  }
  for (const key of SUBSCHEMA_MAPS) {
    const map = out[key];
    if (isSchema(map)) out[key] = Object.fromEntries(Object.entries(map).map(([k, s]) => [k, closeBodySchema(s, limits, close)]));
  }
  for (const key of SUBSCHEMAS) if (isSchema(out[key]) || Array.isArray(out[key])) out[key] = closeBodySchema(out[key], limits, close);
  for (const key of SUBSCHEMA_LISTS) if (Array.isArray(out[key])) out[key] = closeBodySchema(out[key], limits, close);
  if (Array.isArray(out.allOf)) out.allOf = closeBodySchema(out.allOf, limits, false);
  return out;
}

/**
 * A route's body schema as validated: `{ content: { <type>: { schema } } }` (one schema
 * per content type) or a schema.
 */
export function closeRouteBody(body: unknown, limits: FreeFormLimits): unknown {
  if (isSchema(body) && isSchema(body.content) && body.type === undefined) {
    const content = Object.fromEntries(Object.entries(body.content).map(([type, media]) => [
      type, isSchema(media) ? { ...media, schema: closeBodySchema(media.schema, limits) } : media,
    ]));
    return { ...body, content };
  }
  return closeBodySchema(body, limits);
}

/** True when `value` holds arrays or objects nested deeper than `max` (`{}` is depth 1). Iterative: no stack to overflow. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

// Ajv is fastify's dependency, not ours: only the one method used is named here.
interface AjvLike { addKeyword(definition: never): unknown }
interface KeywordError { keyword: string; message: string; params: Record<string, unknown> }

/**
 * Ajv plugin: the `x-free-form` keyword (`{maxDepth, maxBytes}`), checked depth first so
 * that measuring the size cannot overflow. Sizes are UTF-8 bytes of the JSON.
 */
export function freeFormKeyword<A extends AjvLike>(ajv: A): A {
  const check = Object.assign((limits: FreeFormLimits | true, data: unknown): boolean => {
    const { maxDepth, maxBytes } = limits === true ? DEFAULT_FREE_FORM_LIMITS : limits;
    let error: KeywordError | undefined;
    if (nestedDeeperThan(data, maxDepth)) error = { keyword: 'x-free-form', message: `must be nested at most ${maxDepth} levels deep`, params: { maxDepth } };
    else if (Buffer.byteLength(JSON.stringify(data) ?? '') > maxBytes) error = { keyword: 'x-free-form', message: `must be at most ${maxBytes} bytes of JSON`, params: { maxBytes } };
    check.errors = error ? [error] : null;
    return !error;
  }, { errors: null as KeywordError[] | null });
  ajv.addKeyword({ keyword: 'x-free-form', schemaType: ['object', 'boolean'], errors: true, validate: check } as never);
  return ajv;
}

/** The limits of `x-free-form: true` where no configuration filled them in. */
export const DEFAULT_FREE_FORM_LIMITS: FreeFormLimits = Object.freeze({ maxDepth: 10, maxBytes: 16 * 1024 });
