// Statements that repeat become named prepared statements on their connection, so that
// PostgreSQL parses and plans them once per connection instead of at every execution.
// Kysely (and pg without a name) sends each statement unnamed, and for the short
// statements of a sign-in, planning costs PostgreSQL more than running them.
//
// Only data statements are named (select, insert, update, delete, with), and only from
// their second execution on a connection, so one-off statements (an administrator's
// search with its own filters) stay unnamed. A connection names at most
// MAX_NAMED_PER_CONNECTION texts; the rest run unnamed.
//
// What can go wrong with a named statement, and what happens then:
// - A migration elsewhere changes a table that a `select *` names (a rolling upgrade):
//   PostgreSQL refuses the old statement with "cached plan must not change result type".
//   The text gets a new name, planned against the new table, and runs again at once
//   when the connection is outside a transaction (inside one, the transaction fails as
//   any statement's error would fail it, and its retry finds the new name).
// - Something between Tessera and PostgreSQL does not keep a connection's prepared
//   statements (a transaction-mode pooler): "prepared statement does not exist" or
//   "already exists". The text runs unnamed on that connection from then on, again at
//   once outside a transaction. DATABASE_PREPARED_STATEMENTS=false names nothing.
import { createHash } from 'node:crypto';
import type pg from 'pg';

export const MAX_NAMED_PER_CONNECTION = 200;
/** Texts counted per connection before they are named; more clears the count. */
const MAX_COUNTED = 1000;
const DATA_STATEMENT = /^\s*(?:select|insert|update|delete|with)\b/i;
const RESULT_TYPE_CHANGED = '0A000';
const NOT_KEPT = new Set(['26000', '42P05']);

type Query = (config: string | pg.QueryConfig, values?: unknown[]) => Promise<pg.QueryResult>;

/** Makes repeated data statements on `client` named prepared statements (see the head of this file). */
export function prepareRepeatedStatements(client: pg.PoolClient | pg.Client): void {
  const original = client.query.bind(client) as unknown as Query;
  const counted = new Map<string, number>();
  /** Text -> its statement's name, and whether it has run (a refusal before that is the statement's own). */
  const named = new Map<string, { name: string; ran: boolean }>();
  const unnamed = new Set<string>();
  let generation = 0;

  const statementOf = (text: string) => {
    const known = named.get(text);
    if (known || unnamed.has(text) || named.size >= MAX_NAMED_PER_CONNECTION || !DATA_STATEMENT.test(text)) return known;
    const seen = (counted.get(text) ?? 0) + 1;
    if (seen < 2) {
      if (counted.size >= MAX_COUNTED) counted.clear();
      counted.set(text, seen);
      return undefined;
    }
    counted.delete(text);
    const fresh = { name: `tessera_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`, ran: false };
    named.set(text, fresh);
    return fresh;
  };

  const run = (text: string, values: unknown[]): Promise<pg.QueryResult> => {
    const statement = statementOf(text);
    if (!statement) return original(text, values);
    return original({ name: statement.name, text, values }).then((result) => {
      statement.ran = true;
      return result;
    }, (err: { code?: string }) => {
      if (err?.code === RESULT_TYPE_CHANGED && statement.ran) named.set(text, { name: `${statement.name.slice(0, 32)}_${++generation}`, ran: false });
      // Not kept, or refused before it ever ran here (a stale statement this connection
      // did not prepare, or the statement's own fault, which the unnamed run repeats).
      else if (err?.code === RESULT_TYPE_CHANGED || (err?.code && NOT_KEPT.has(err.code))) { named.delete(text); unnamed.add(text); } else throw err;
      // Outside a transaction the failed statement changed nothing: run it again.
      if (client.getTransactionStatus() !== 'I') throw err;
      return run(text, values);
    });
  };

  client.query = ((...args: unknown[]) => {
    const [text, values, callback] = args;
    if (typeof text !== 'string' || !Array.isArray(values)) return (original as (...a: unknown[]) => unknown)(...args);
    const result = run(text, values);
    if (typeof callback !== 'function') return result;
    result.then((r) => callback(null, r), (e: unknown) => callback(e));
    return undefined;
  }) as typeof client.query;
}
