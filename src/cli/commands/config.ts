import { Command } from 'commander';
import { describeConfig, insecureSettings, loadConfig, ConfigError, oauthEnvNames } from '../../core/config/index.ts';
import { CliError, EXIT, print, say } from '../context.ts';

export function configCommand(): Command {
  const config = new Command('config').description('The configuration read from the environment.');
  config.command('check')
    .description('Validate the environment and print the effective configuration, secrets masked.')
    .option('--json', 'JSON output')
    .addHelpText('after', `
Exit code 0 when the configuration is valid (warnings included), 5 when it is not.

Examples:
  $ tessera config check
  $ DATABASE_URL=postgres://db/auth tessera config check --json`)
    .action((o: { json?: boolean }) => {
      let c;
      try {
        c = loadConfig(process.env);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        if (o.json) {
          print(true, { valid: false, problems: err.problems });
          throw new CliError('invalid configuration', EXIT.config);
        }
        throw new CliError(err.message, EXIT.config);
      }
      const effective = describeConfig(c);
      const providers = c.oauthProviders.map((p) => ({ name: p.name, kind: p.kind, clientId: p.clientId, clientSecret: p.clientSecret ? '********' : null }));
      const warnings = insecureSettings(c);
      const known = new Set([...Object.keys(effective), ...oauthEnvNames()]);
      const unknown = Object.keys(process.env).filter((k) => k.startsWith('AUTH_') && !k.startsWith('AUTH_OIDC_') && !known.has(k));
      if (o.json) return print(true, { valid: true, mode: c.databaseUrl ? 'postgres' : 'embedded', config: effective, oauthProviders: providers, warnings, unknownVariables: unknown });
      say(`configuration is valid (${c.databaseUrl ? 'PostgreSQL' : `embedded database in ${c.dataDir}`})`);
      for (const [k, v] of Object.entries(effective)) say(`  ${k.padEnd(42)}${v === null ? '(unset)' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      for (const p of providers) say(`  oauth provider ${p.name} (${p.kind}), client id ${p.clientId}`);
      for (const w of warnings) say(`warning: ${w}`);
      for (const k of unknown) say(`warning: ${k} is not a Tessera setting (misspelt?)`);
    });
  return config;
}
