// `tessera`: the operator's command line. Each subcommand works on the database of the
// environment (embedded in DATA_DIR, or DATABASE_URL) through the service layer; see
// docs/cli.md for every command and the exit codes.
import { Command, CommanderError } from 'commander';
import { AppError } from '../core/errors/index.ts';
import { packageVersion } from '../deps.ts';
import { CliError, EXIT, exitCodeOf, state } from './context.ts';
import { EXAMPLES } from './examples.ts';
import { auditCommand } from './commands/audit.ts';
import { clientsCommand } from './commands/clients.ts';
import { configCommand } from './commands/config.ts';
import { importCommand } from './commands/import.ts';
import { keysCommand } from './commands/keys.ts';
import { migrateCommand } from './commands/migrate.ts';
import { oauthCommand } from './commands/oauth.ts';
import { permissionsCommand, rolesCommand } from './commands/roles.ts';
import { orgsCommand } from './commands/orgs.ts';
import { serveCommand } from './commands/serve.ts';
import { serviceAccountsCommand } from './commands/service-accounts.ts';
import { sessionsCommand } from './commands/sessions.ts';
import { usersCommand } from './commands/users.ts';

export function buildProgram(): Command {
  const program = new Command('tessera')
    .description('Tessera, a self-hosted authentication server: run it, and manage its users, roles, keys and providers.')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `
The commands work on the database of the environment: embedded in DATA_DIR (./data) when
DATABASE_URL is unset (stop the server first: the embedded database allows one process),
or the PostgreSQL of DATABASE_URL (beside running servers).

Exit codes: 0 ok, 1 failure, 2 bad arguments, 3 not found, 4 refused by a rule,
5 invalid configuration, 6 malformed input file, 7 database unavailable.

Examples:
  $ tessera serve --addr 0.0.0.0:4000
  $ tessera users create --email ada@example.com --username ada --password-stdin < pw.txt
  $ tessera keys rotate
  $ tessera import firebase users.json --hash-key "$KEY" --salt-separator Bw== --rounds 8 --mem-cost 14`);
  for (const cmd of [serveCommand(), migrateCommand(), usersCommand(), rolesCommand(), permissionsCommand(), sessionsCommand(), keysCommand(),
    serviceAccountsCommand(), auditCommand(), configCommand(), oauthCommand(), clientsCommand(), importCommand(), orgsCommand()]) program.addCommand(cmd);
  // Every command (and subcommand) reports usage errors the same way, and shows examples.
  const configure = (c: Command, path: string) => {
    c.exitOverride().showHelpAfterError('(add --help for usage)');
    const examples = EXAMPLES[path];
    if (examples) c.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}`);
    for (const sub of c.commands) configure(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  configure(program, '');
  return program;
}

/**
 * `tessera serve -addr :8080`: the single-dash flags of Go programs (edd's `-addr`), as
 * their deployments pass them, are read as the double-dash ones. Only after `serve`, and
 * only the flags `serve` has, so that a short option elsewhere keeps its meaning.
 */
export function goStyleFlags(argv: string[]): string[] {
  const at = argv.indexOf('serve', 2);
  if (at < 0) return argv;
  return argv.map((a, i) => (i > at && /^-(addr|port|session-ttl)(=.*)?$/.test(a) ? `-${a}` : a));
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(goStyleFlags(argv));
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return EXIT.ok;
      // Commander has printed the message already.
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`tessera: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof AppError) {
      const details = Array.isArray(err.details) ? ` (${(err.details as { field?: string; message?: string }[]).map((d) => [d.field, d.message].filter(Boolean).join(' ')).join('; ')})` : '';
      process.stderr.write(`tessera: ${err.code}: ${err.message}${details}\n`);
      return exitCodeOf(err);
    }
    process.stderr.write(`tessera: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT.failure;
  }
}

// Run when executed (bin/tessera.js, `node --import tsx src/cli/main.ts`), not when imported.
if (process.argv[1] && /(?:^|[\\/])(?:main\.ts|tessera(?:\.js)?)$/.test(process.argv[1])) {
  const code = await runCli(process.argv);
  // `serve` keeps running: its process ends with the server.
  if (!state.serving || code !== EXIT.ok) process.exit(code);
}
