import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { checkFirebaseParams, type FirebaseScryptParams } from '../../core/crypto/index.ts';
import {
  FIREBASE_B64, firebaseHasPasswords, firebaseParamsId, standardB64, ImportFormatError, parseFirebase, parseJsonLines, parseSupabase,
  type ImportRecord, type ImportSource, type ImportSummary,
} from '../../modules/imports/index.ts';
import type { Deps } from '../../deps.ts';
import { CliError, EXIT, intOption, print, say, usage, withDeps } from '../context.ts';
import { createProgress } from '../progress.ts';

interface CommonFlags { batchSize: number; dryRun?: boolean; events?: boolean; json?: boolean; progress: boolean; report?: string }

function readInput(file: string): string {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw usage(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** Parses before anything is written: a malformed file leaves the database untouched. */
function parse(fn: () => ImportRecord[]): ImportRecord[] {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ImportFormatError) throw new CliError(`malformed input, nothing imported: ${err.message}`, EXIT.badInput);
    throw err;
  }
}

function b64(flag: string, v: string): Buffer {
  if (!FIREBASE_B64.test(v)) throw usage(`${flag}: expected base64, as the Firebase console shows it`);
  return Buffer.from(standardB64(v), 'base64');
}

function report(summary: ImportSummary, o: CommonFlags, file: string): void {
  if (o.report) writeFileSync(o.report, `${JSON.stringify(summary, null, 2)}\n`);
  if (o.json) {
    print(true, summary);
  } else {
    const rate = summary.durationMs > 0 ? Math.round((summary.total / summary.durationMs) * 1000) : summary.total;
    say(`${summary.dryRun ? 'dry run of ' : ''}import from ${summary.source} (${file}): ${summary.total} record(s) in ${(summary.durationMs / 1000).toFixed(1)} s (${rate}/s)`);
    say(`  created     ${summary.created}${summary.dryRun ? ' (would be)' : ''}`);
    say(`  skipped     ${summary.skipped} (imported before)`);
    say(`  identities  ${summary.identities}`);
    say(`  conflicts   ${summary.conflicts.length}`);
    say(`  rejected    ${summary.rejected.length}`);
    const issues = [...summary.conflicts.map((c) => ({ ...c, kind: 'conflict' })), ...summary.rejected.map((r) => ({ ...r, kind: 'rejected' }))].sort((a, b) => a.position - b.position);
    for (const i of issues.slice(0, 20)) say(`  record ${i.position} (${i.sourceId}${i.email ? `, ${i.email}` : ''}): ${i.kind} ${i.reason}`);
    if (issues.length > 20) say(`  ... and ${issues.length - 20} more${o.report ? ` (all in ${o.report})` : ' (--report <file> lists them all)'}`);
  }
  // Some records were not imported: scripts can tell without reading the summary.
  if (summary.conflicts.length || summary.rejected.length) process.exitCode = EXIT.refused;
}

async function runImport(source: ImportSource, file: string, records: ImportRecord[], o: CommonFlags, setup?: (deps: Deps) => Promise<void>): Promise<void> {
  await withDeps(async (deps) => {
    await setup?.(deps);
    const progress = createProgress(`import ${source}`, records.length, { enabled: o.progress });
    const summary = await deps.importer.run(source, records, {
      batchSize: o.batchSize, dryRun: Boolean(o.dryRun), events: Boolean(o.events),
      onProgress: (p) => progress.update(p.done, `created ${p.created} skipped ${p.skipped} conflicts ${p.conflicts} rejected ${p.rejected}`),
    });
    progress.finish();
    report(summary, o, file);
  });
}

function common(cmd: Command): Command {
  return cmd
    .option('--batch-size <n>', 'users per transaction', intOption('--batch-size', 1, 5000), 1000)
    .option('--dry-run', 'check the file and report what would happen; write nothing')
    .option('--events', 'also write a user.created event (NATS, webhooks) for each imported user')
    .option('--report <file>', 'write the full summary, every conflict included, as JSON')
    .option('--no-progress', 'no progress output')
    .option('--json', 'print the summary as JSON');
}

export function importCommand(): Command {
  const imp = new Command('import').description("Import users from another system's export, keeping their passwords working.")
    .addHelpText('after', `
Users keep their password: imported hashes (bcrypt, argon2, Firebase scrypt) are verified
at sign-in and replaced by argon2id. Re-running an import skips users imported before;
a user whose email belongs to another account is reported as a conflict. The file is
read and checked whole before anything is written. Exit code 4 when some records were
not imported (conflicts or rejected), 6 when the file is malformed.

Examples:
  $ tessera import supabase users.csv
  $ tessera import firebase users.json --hash-key "$SIGNER_KEY" --salt-separator Bw== --rounds 8 --mem-cost 14
  $ tessera import auth0 users.jsonl --report import-report.json`);

  common(imp.command('supabase <file>')
    .description('Supabase Auth: auth.users as CSV (header row) or JSON (array of rows), bcrypt hashes; ids are kept.')
    .addOption(new Option('--format <format>', 'csv or json (default: from the file name, else its first character)').choices(['csv', 'json'])))
    .action(async (file: string, o: CommonFlags & { format?: 'csv' | 'json' }) => {
      const text = readInput(file);
      const format = o.format ?? (/\.csv$/i.test(file) ? 'csv' : /\.json$/i.test(file) ? 'json' : /^\s*[[{]/.test(text) ? 'json' : 'csv');
      await runImport('supabase', file, parse(() => parseSupabase(text, format)), o);
    });

  common(imp.command('firebase <file>')
    .description('Firebase Auth: the JSON of `firebase auth:export`, with the project\'s password hash parameters (Firebase console, Authentication, Users, Password hash parameters).')
    .option('--hash-key <base64>', 'base64_signer_key')
    .option('--salt-separator <base64>', 'base64_salt_separator', 'Bw==')
    .option('--rounds <n>', 'rounds', intOption('--rounds', 1, 32), 8)
    .option('--mem-cost <n>', 'mem_cost', intOption('--mem-cost', 1, 20), 14))
    .action(async (file: string, o: CommonFlags & { hashKey?: string; saltSeparator: string; rounds: number; memCost: number }) => {
      const text = readInput(file);
      let params: FirebaseScryptParams | undefined;
      if (o.hashKey !== undefined) {
        params = { signerKey: b64('--hash-key', o.hashKey), saltSeparator: b64('--salt-separator', o.saltSeparator), rounds: o.rounds, memCost: o.memCost };
        const bad = checkFirebaseParams(params);
        if (bad) throw usage(bad);
        if (params.signerKey.length < 16) throw usage('--hash-key: too short for a Firebase signer key');
      }
      const records = parse(() => parseFirebase(text, params ? firebaseParamsId(params) : undefined));
      if (!params && firebaseHasPasswords(records)) {
        throw usage('the export holds password hashes: give --hash-key (and --salt-separator, --rounds, --mem-cost if they differ from Bw==, 8, 14) from the Firebase console');
      }
      await runImport('firebase', file, records, o, async (deps) => {
        if (params && !o.dryRun && records.some((r) => r.passwordHash)) await deps.importer.saveFirebaseParams(params);
      });
    });

  common(imp.command('auth0 <file>').alias('jsonl')
    .description('Auth0 and other systems: JSON lines (or a JSON array) of users with bcrypt or argon2 hashes (password_hash, passwordHash or custom_password_hash.hash.value) and identities.'))
    .action(async (file: string, o: CommonFlags) => {
      const text = readInput(file);
      await runImport('auth0', file, parse(() => parseJsonLines(text)), o);
    });
  return imp;
}
