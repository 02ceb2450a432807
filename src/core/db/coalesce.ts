// Group commit for one kind of statement: the calls made during one turn of the event
// loop run as one statement instead of one each. Under load, a turn reads many requests
// from many connections; their statements then cost one round trip, one wake-up of a
// database backend and one commit between them, instead of one of each per request. A
// call alone in its turn runs as its single-row statement, so an idle server answers as
// quickly as before.
//
// Each item must be decided by its own row(s), so that running it beside others in one
// statement gives what it would have given alone. Two items with the same key are never
// in one statement (a row joined twice by one update is only updated once): the second
// runs alone at once, and the database's row lock orders the two.

export interface CoalesceOptions<I> {
  /** Items that touch the same row have the same key. */
  key: (item: I) => string;
  /** Most items in one statement; a full group runs at once. */
  max: number;
}

/**
 * True for an error that PostgreSQL raised for the statement (it committed nothing): a
 * SQLSTATE with a severity, as pg and PGlite report them. A socket's error (EPIPE) has
 * a code of five capitals too, but no severity.
 */
function statementError(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown } | null;
  return typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}

/**
 * Returns a function that runs `one(item)`, or `many(items)` with the items of other
 * calls in the same turn of the event loop. `many` answers in the items' order.
 * When `many` fails with a statement error (which commits nothing), each item runs
 * alone, so one bad item does not fail the others; any other error (a lost connection)
 * fails them all, since whether the statement committed is unknown.
 */
export function coalesce<I, O>(one: (item: I) => Promise<O>, many: (items: I[]) => Promise<O[]>, options: CoalesceOptions<I>): (item: I) => Promise<O> {
  interface Waiting { item: I; resolve: (o: O) => void; reject: (err: unknown) => void }
  let group: Waiting[] = [];
  let keys = new Set<string>();
  let scheduled = false;

  const settle = (w: Waiting, p: Promise<O>) => p.then(w.resolve, w.reject);

  async function run(waiting: Waiting[]): Promise<void> {
    if (waiting.length === 1) return void settle(waiting[0]!, one(waiting[0]!.item));
    let results: O[];
    try {
      results = await many(waiting.map((w) => w.item));
    } catch (err) {
      if (statementError(err)) for (const w of waiting) void settle(w, one(w.item));
      else for (const w of waiting) w.reject(err);
      return;
    }
    waiting.forEach((w, i) => w.resolve(results[i]!));
  }

  function flush(): void {
    scheduled = false;
    const waiting = group;
    group = [];
    keys = new Set();
    if (waiting.length) void run(waiting);
  }

  return (item) => new Promise<O>((resolve, reject) => {
    const key = options.key(item);
    if (keys.has(key)) return void settle({ item, resolve, reject }, one(item));
    group.push({ item, resolve, reject });
    keys.add(key);
    if (group.length >= options.max) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}
