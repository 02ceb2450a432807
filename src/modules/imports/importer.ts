// Writes imported users in batches, one transaction per batch, so that a failure loses
// at most the batch in progress and a re-run picks up where it stopped: a user whose
// email exists already is skipped when it came from the same record of the same source
// (`metadata.import`), and reported as a conflict otherwise. Nothing is written for a
// record the source rejected. Hashes are stored as they are and replaced by argon2id at
// each user's first sign-in.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import type { Encrypter, FirebaseScryptParams } from '../../core/crypto/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { insertImportedIdentities, takenIdentities, type NewImportedIdentity } from '../oauth/index.ts';
import { existingUsers, importedFrom, insertImportedUsers, normalizeEmail, normalizeUsername, takenUsernames, type NewImportedUser } from '../users/index.ts';
import * as repo from './imports.repo.ts';
import type { ImportRecord } from './record.ts';

export type ImportSource = 'supabase' | 'firebase' | 'auth0';

export interface ImportIssue { position: number; sourceId: string; email: string; reason: string }

export interface ImportProgress { done: number; total: number; created: number; skipped: number; conflicts: number; rejected: number }

export interface ImportSummary {
  source: ImportSource;
  total: number;
  created: number;
  /** Already imported from the same record by an earlier run. */
  skipped: number;
  identities: number;
  conflicts: ImportIssue[];
  rejected: ImportIssue[];
  durationMs: number;
  dryRun: boolean;
}

export interface ImporterDeps {
  db: Kysely<Database>;
  clock: Clock;
  encrypter: Encrypter;
  audit: AuditRecorder;
  defaultRole: string;
  /** Records without an address are refused (`no_email`) unless this is false (AUTH_EMAIL_REQUIRED). */
  emailRequired?: boolean;
  /** Marks that users exist, so that the next registration does not become the first admin. */
  claimFirstUser: (trx: Db) => Promise<void>;
  /** Writes the `user.created` event of an imported user (with --events). */
  emitCreated?: (trx: Db, user: { id: string; username: string; email: string | null; email_verified: boolean; role: string; is_active: boolean; created_at: Date }, source: ImportSource) => Promise<void>;
}

const METADATA_MAX = 16 * 1024;
const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{2,49}$/u;

/** A username from an email's local part: allowed characters only, 3 to 43 of them. */
function usernameFrom(email: string): string {
  const local = normalizeUsername(email.split('@')[0] ?? '').replace(/[^\p{L}\p{N}._-]/gu, '').replace(/^[._-]+/, '').slice(0, 43);
  return local.length >= 3 ? local : `${local || 'user'}_${randomBytes(2).toString('hex')}`;
}

/** The id of a set of Firebase parameters: the same parameters always get the same id. */
export function firebaseParamsId(p: FirebaseScryptParams): string {
  return createHash('sha256')
    .update(`firebase_scrypt|${p.rounds}|${p.memCost}|${p.saltSeparator.toString('base64')}|${p.signerKey.toString('base64')}`)
    .digest('base64url').slice(0, 22);
}

/**
 * The password hasher's look-up of imported Firebase parameters (signer key sealed at
 * rest), cached per id. Needs only the database, so the hasher can be built before the
 * importer that stores them.
 */
export function createFirebaseParamsLookup(deps: { db: Kysely<Database>; encrypter: Encrypter }) {
  const { db } = deps;
  const paramsCache = new Map<string, FirebaseScryptParams>();
  return async function firebaseParams(id: string): Promise<FirebaseScryptParams | undefined> {
    const cached = paramsCache.get(id);
    if (cached) return cached;
    const row = await repo.findHashParams(db, id);
    if (!row || row.algorithm !== 'firebase_scrypt' || !row.secret_encrypted) return undefined;
    const p = row.params as { rounds: number; memCost: number; saltSeparator: string };
    const params = {
      signerKey: deps.encrypter.decrypt(row.secret_encrypted, `password_hash_params:${id}`), saltSeparator: Buffer.from(p.saltSeparator, 'base64'),
      rounds: p.rounds, memCost: p.memCost,
    };
    paramsCache.set(id, params);
    return params;
  };
}

export function createImporter(deps: ImporterDeps) {
  const { db, clock } = deps;

  /** Stores Firebase's project parameters (signer key sealed) under their id. */
  async function saveFirebaseParams(p: FirebaseScryptParams): Promise<string> {
    const id = firebaseParamsId(p);
    await repo.saveHashParams(db, {
      id, algorithm: 'firebase_scrypt', params: { rounds: p.rounds, memCost: p.memCost, saltSeparator: p.saltSeparator.toString('base64') },
      secret_encrypted: deps.encrypter.encrypt(p.signerKey, `password_hash_params:${id}`),
    });
    return id;
  }

  const firebaseParams = createFirebaseParamsLookup({ db, encrypter: deps.encrypter });

  async function run(source: ImportSource, records: ImportRecord[], opts: {
    batchSize: number; dryRun?: boolean; events?: boolean; onProgress?: (p: ImportProgress) => void;
  }): Promise<ImportSummary> {
    const started = clock.now();
    const summary: ImportSummary = { source, total: records.length, created: 0, skipped: 0, identities: 0, conflicts: [], rejected: [], durationMs: 0, dryRun: Boolean(opts.dryRun) };
    const issue = (r: ImportRecord, reason: string): ImportIssue => ({ position: r.position, sourceId: r.sourceId, email: r.email, reason });
    const seenEmails = new Set<string>();
    const seenIdentities = new Set<string>();
    const seenUsernames = new Set<string>();
    let done = 0;

    for (let i = 0; i < records.length; i += opts.batchSize) {
      const batch = records.slice(i, i + opts.batchSize);
      const write = async (trx: Db) => {
        const candidates: ImportRecord[] = [];
        for (const r of batch) {
          // With AUTH_EMAIL_REQUIRED=false a record without an address is imported (a username only).
          if (r.rejected && !(r.rejected === 'no_email' && deps.emailRequired === false)) summary.rejected.push(issue(r, r.rejected));
          else candidates.push(r);
        }
        const emails = candidates.map((r) => (r.email ? normalizeEmail(r.email) : null));
        const existing = await existingUsers(trx, emails.filter((e): e is string => e !== null), candidates.flatMap((r) => (r.id ? [r.id] : [])));
        // Without an address, a record already imported is known by its source id.
        const importedBefore = await importedFrom(trx, source, candidates.filter((r, k) => emails[k] === null).map((r) => r.sourceId));
        const byEmail = new Map(existing.map((u) => [u.email, u]));
        const byId = new Map(existing.map((u) => [u.id, u]));
        const taken = await takenIdentities(trx, candidates.flatMap((r) => r.identities));
        const wanted = candidates.map((r) => (r.username && USERNAME.test(normalizeUsername(r.username)) ? normalizeUsername(r.username) : usernameFrom(r.email || r.sourceId)));
        const usernamesTaken = await takenUsernames(trx, wanted.map((u) => u.toLowerCase()));
        const now = new Date(clock.now());
        const rows: NewImportedUser[] = [];
        const pending: { record: ImportRecord; row: NewImportedUser }[] = [];

        candidates.forEach((r, k) => {
          const email = emails[k]!;
          if (email === null && importedBefore.has(r.sourceId)) return void summary.skipped++;
          if (email !== null && seenEmails.has(email)) return void summary.conflicts.push(issue(r, 'duplicate_email_in_file'));
          const found = email !== null ? byEmail.get(email) : undefined;
          if (found) {
            const o = found.origin;
            if (o && o.source === source && o.id === r.sourceId) {
              summary.skipped++;
              seenEmails.add(email!);
            } else summary.conflicts.push(issue(r, 'email_taken'));
            return;
          }
          if (r.id && byId.has(r.id)) return void summary.conflicts.push(issue(r, 'id_taken'));
          const pairs = r.identities.map((x) => `${x.provider} ${x.providerUserId}`);
          if (pairs.some((p) => taken.has(p) || seenIdentities.has(p))) return void summary.conflicts.push(issue(r, 'identity_linked_elsewhere'));
          let username = wanted[k]!;
          const explicit = Boolean(r.username) && username === normalizeUsername(r.username!);
          if (usernamesTaken.has(username.toLowerCase()) || seenUsernames.has(username.toLowerCase())) {
            if (explicit) return void summary.conflicts.push(issue(r, 'username_taken'));
            username = `${username.slice(0, 43)}_${randomBytes(3).toString('hex')}`;
          }
          const metadata = { ...r.metadata, import: { source, id: r.sourceId, at: now.toISOString() } };
          if (JSON.stringify(metadata).length > METADATA_MAX) return void summary.rejected.push(issue(r, 'metadata_too_large'));
          if (email !== null) seenEmails.add(email);
          seenUsernames.add(username.toLowerCase());
          for (const p of pairs) seenIdentities.add(p);
          const row: NewImportedUser = {
            id: r.id ?? randomUUID(), username, email, password_hash: r.passwordHash, role: deps.defaultRole, is_active: !r.disabled,
            email_verified: email !== null && r.emailVerified, last_login: r.lastLogin ?? null, password_changed_at: r.passwordHash ? r.createdAt ?? now : null,
            metadata, created_at: r.createdAt ?? now, updated_at: now,
          };
          rows.push(row);
          pending.push({ record: r, row });
        });
        if (opts.dryRun) {
          summary.created += rows.length;
          return;
        }
        if (rows.length) await deps.claimFirstUser(trx);
        // A concurrent sign-up may take an email or username between the checks and here.
        const inserted = await insertImportedUsers(trx, rows);
        const identities: NewImportedIdentity[] = [];
        for (const { record, row } of pending) {
          if (!inserted.has(row.id)) {
            summary.conflicts.push(issue(record, 'email_taken'));
            continue;
          }
          summary.created++;
          const providers = new Set<string>();
          for (const x of record.identities) {
            if (providers.has(x.provider)) continue;
            providers.add(x.provider);
            identities.push({
              id: randomUUID(), user_id: row.id, provider: x.provider, provider_user_id: x.providerUserId, email: x.email ? normalizeEmail(x.email) : null,
              name: x.name?.slice(0, 200) ?? null, avatar_url: x.avatarUrl?.slice(0, 2000) ?? null, created_at: now, updated_at: now,
            });
          }
          if (opts.events && deps.emitCreated) await deps.emitCreated(trx, { ...row }, source);
        }
        summary.identities += await insertImportedIdentities(trx, identities);
      };
      if (opts.dryRun) await write(db);
      else await db.transaction().execute(write);
      done += batch.length;
      opts.onProgress?.({ done, total: records.length, created: summary.created, skipped: summary.skipped, conflicts: summary.conflicts.length, rejected: summary.rejected.length });
    }
    summary.durationMs = clock.now() - started;
    if (!opts.dryRun) {
      await deps.audit(db, {
        type: 'users.imported', actor: { type: 'system' },
        details: { source, total: summary.total, created: summary.created, skipped: summary.skipped, identities: summary.identities, conflicts: summary.conflicts.length, rejected: summary.rejected.length },
      });
    }
    return summary;
  }

  return { run, saveFirebaseParams, firebaseParams };
}

export type Importer = ReturnType<typeof createImporter>;
