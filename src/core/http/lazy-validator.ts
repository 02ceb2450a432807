// Route validators compiled on first use (see the schemaController in app.ts).

export type Validate = ((data: unknown, ctx?: unknown) => boolean) & { errors?: unknown; schemaEnv?: unknown };

/**
 * A validator compiled when first called. Fastify reads `errors` after a failed call and
 * hands Ajv validators (which have `schemaEnv`) their parent, so that a coerced or
 * stripped root value is written back: the wrapper offers both.
 */
export function lazyValidator(compile: () => Validate): Validate {
  let fn: Validate | undefined;
  const wrapper: Validate = (data, ctx) => {
    fn ??= compile();
    const ok = fn(data, ctx);
    wrapper.errors = fn.errors;
    return ok;
  };
  wrapper.schemaEnv = true;
  return wrapper;
}
