// The per-request logger Fastify asks for (its childLoggerFactory), made lazily.
import type { FastifyBaseLogger } from 'fastify';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

/**
 * Fastify gives every request a child logger, and a pino child with redaction costs a
 * noticeable share of a cached bearer check. This one is made on first use; a call at a
 * level that is off (the per-request lines below `info`) makes none.
 */
export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Parameters<FastifyBaseLogger['child']>[0], opts: Parameters<FastifyBaseLogger['child']>[1]): FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined;
  const real = () => {
    if (!child) {
      child = parent.child(bindings, opts);
      for (const key of Reflect.ownKeys(target)) Reflect.set(child, key, Reflect.get(target, key));
    }
    return child;
  };
  const target = {} as FastifyBaseLogger;
  const noop = () => {};
  // Properties Fastify stores on the logger (symbols) live on the target until a child exists.
  return new Proxy(target, {
    set(t, prop, value) {
      if (child) return Reflect.set(child, prop, value);
      return Reflect.set(t, prop, value);
    },
    get(t, prop) {
      if (child) return Reflect.get(child, prop, child);
      if (typeof prop === 'symbol' || Object.hasOwn(t, prop)) return Reflect.get(t, prop);
      if (prop === 'level') return parent.level;
      // Fastify checks the methods exist on every request: hand out callers, not the child.
      if (LEVELS.has(prop)) {
        if (!(parent as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled(prop)) return noop;
        return (...args: unknown[]) => (real() as unknown as Record<string, (...a: unknown[]) => void>)[prop]!(...args);
      }
      if (prop === 'child') return (...args: Parameters<FastifyBaseLogger['child']>) => real().child(...args);
      const c = real();
      const v = Reflect.get(c, prop, c) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(c) : v;
    },
  });
}
