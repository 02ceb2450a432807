// Seeds users, each with a live session and refresh token, by set-based SQL inside the
// database (generate_series), in chunks so that one statement never holds millions of
// rows in memory. Every user has the same password, hashed once with the server's own
// argon2id parameters, so sign-in costs what it costs for a real user. Each session's id
// and its refresh token's secret are derived from a per-run secret and the user's
// number: the load generator makes the tokens with the service's own form, the table
// stores only the secret's SHA-256 as the service does.
import { createHash, randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { sql } from 'kysely';
import { loadConfig } from '../../src/core/config/index.ts';
import { buildDeps } from '../../src/deps.ts';

export const SEED_PASSWORD = 'seeded-user-passphrase-1';
export const seedEmail = (i: number) => `seed_${i}@bench.test`;
export interface SeedResult {
  users: number; sessions: number; seconds: number;
  /** The refresh token of seeded session `i` (spares for logout come after the users). */
  tokenOf(i: number): string;
}

/** Seeded session `i`: its id (the uuid of an MD5, as PostgreSQL casts one) and its token's secret. */
function seededSession(secret: string, i: number): { id: string; secret: Buffer } {
  const h = createHash('md5').update(`${secret}:${i}`).digest('hex');
  return { id: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`, secret: createHash('sha256').update(`${secret}:${i}`).digest() };
}

/**
 * Seeds `users` users and `spareSessions` more (for logout), each with one session and
 * refresh token, into the database that `env` points at (DATABASE_URL or DATA_DIR).
 */
export async function seed(env: Record<string, string>, users: number, spareSessions: number, progress?: (line: string) => void): Promise<SeedResult> {
  const config = loadConfig({ ...env, AUTH_LOG_LEVEL: 'silent' });
  const deps = await buildDeps(config, { noWorkers: true });
  const started = Date.now();
  const secret = randomBytes(16).toString('hex');
  try {
    const { db } = deps;
    const passwordHash = await hash(SEED_PASSWORD, { memoryCost: config.argon2Memory, timeCost: config.argon2Iterations, parallelism: config.argon2Parallelism, outputLen: 32 });
    // Seeded users count as existing ones: a later registration is not the first admin.
    await deps.users.claimFirstUser(db);
    const expires = new Date(Date.now() + config.refreshTokenExpiry * 1000);
    const chunk = 100_000;
    // Users [0, users) are `seed_<i>`; the spares [users, users + spares) are `spare_<i>`,
    // one session each: logout ends every session of its user, so a spare is one user.
    const insertRange = async (prefix: string, from: number, to: number) => {
      await sql`
        with n as (
          select i, gen_random_uuid() as uid, md5(${secret} || ':' || i)::uuid as sid, sha256(convert_to(${secret} || ':' || i, 'UTF8')) as token_secret
          from generate_series(${from}::int, ${to}::int) as i
        ), u as (
          insert into users (id, username, email, password_hash, role, email_verified, password_changed_at, created_at, updated_at)
          select uid, ${prefix} || i, ${prefix} || i || '@bench.test', ${passwordHash}, ${config.defaultRole}, true, now(), now(), now() from n
        )
        insert into sessions (id, user_id, client, ip, user_agent, expires_at, amr, browser, os, device_type, created_at, last_used_at, refresh_generation, refresh_hash)
        select sid, uid, 'native', '127.0.0.1', 'tessera-bench', ${expires}, '{pwd}', 'bench', 'Linux', 'desktop', now(), now(), 1, sha256(token_secret) from n
      `.execute(db);
    };
    const total = users + spareSessions;
    for (let from = 0; from < total; from += chunk) {
      const to = Math.min(total, from + chunk) - 1;
      if (from < users) await insertRange('seed_', from, Math.min(to, users - 1));
      if (to >= users) await insertRange('spare_', Math.max(from, users), to);
      progress?.(`seeded ${(to + 1).toLocaleString('en-US')} of ${total.toLocaleString('en-US')} users (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    // Statistics, visibility map and a checkpoint now, so that no autovacuum or checkpoint
    // of the bulk load runs during the measurements.
    progress?.('vacuum (analyze) and checkpoint ...');
    for (const table of ['users', 'sessions']) await sql`vacuum (analyze) ${sql.table(table)}`.execute(db);
    await sql`checkpoint`.execute(db);
    const codec = deps.sessions.refreshTokens;
    const tokenOf = (i: number) => { const s = seededSession(secret, i); return codec.format(s.id, 1, s.secret); };
    return { users, sessions: users + spareSessions, seconds: (Date.now() - started) / 1000, tokenOf };
  } finally {
    await deps.close();
  }
}
