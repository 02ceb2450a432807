import { Command } from 'commander';
import {
  activeAliases, closestName, describeConfig, insecureSettings, knownNames, loadConfig, specOf, ConfigError, REPLACED_SERVICES, type Alias, type Config,
} from '../../core/config/index.ts';
import { envProviders, type OAuthProviderSettings } from '../../modules/oauth/index.ts';
import { CliError, EXIT, print, say } from '../context.ts';

export function configCommand(): Command {
  const config = new Command('config').description('The configuration read from the environment.');
  config.command('check [name]')
    .description('Validate the environment and print the effective configuration, secrets masked; with a NAME, explain that one variable (or alias).')
    .option('--json', 'JSON output')
    .addHelpText('after', `
Exit code 0 when the configuration is valid (warnings included), 5 when it is not. With a
NAME: 0 when Tessera knows it, 3 when it does not (the closest known name is suggested).

Examples:
  $ tessera config check
  $ DATABASE_URL=postgres://db/auth tessera config check --json
  $ tessera config check JWT_EXPIRY`)
    .action((name: string | undefined, o: { json?: boolean }) => {
      if (name) return explain(name, o.json === true);
      let c;
      let oauthProviders: OAuthProviderSettings[];
      try {
        c = loadConfig(process.env);
        // Social sign-in settings are checked against the provider files (modules/oauth).
        oauthProviders = envProviders(c);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        if (o.json) {
          print(true, { valid: false, problems: err.problems });
          throw new CliError('invalid configuration', EXIT.config);
        }
        throw new CliError(err.message, EXIT.config);
      }
      const effective = describeConfig(c);
      const providers = oauthProviders.map((p) => ({ name: p.name, kind: p.kind, clientId: p.clientId, clientSecret: p.clientSecret ? '********' : null }));
      const warnings = insecureSettings(c);
      if (o.json) return print(true, { valid: true, mode: c.databaseUrl ? 'postgres' : 'embedded', config: effective, oauthProviders: providers, warnings });
      say(`configuration is valid (${c.databaseUrl ? 'PostgreSQL' : `embedded database in ${c.dataDir}`})`);
      for (const [k, v] of Object.entries(effective)) say(`  ${k.padEnd(42)}${v === null ? '(unset)' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      for (const p of providers) say(`  oauth provider ${p.name} (${p.kind}), client id ${p.clientId}`);
      for (const w of warnings) say(`warning: ${w}`);
    });
  return config;
}

/** `config check NAME`: what the variable is, its default, its value now, and its other names. */
function explain(name: string, json: boolean): void {
  const known = knownNames();
  const aliases = activeAliases(known);
  const alias: Alias | undefined = aliases.find((a) => a.name === name);
  const canonical = alias?.canonical ?? name;
  const spec = specOf(canonical);
  if (!spec) {
    const closest = closestName(name, known);
    throw new CliError(`${name} is not a Tessera setting${closest ? `; did you mean ${closest}?` : ''}`, EXIT.notFound);
  }
  let c: Config | undefined;
  let problem: string | undefined;
  try {
    const loaded = loadConfig(process.env);
    envProviders(loaded);
    c = loaded;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problem = err.problems.find((p) => p.startsWith(`${canonical}`) || p.startsWith(name)) ?? 'the configuration is invalid (see `tessera config check`)';
  }
  const value = c ? describeConfig(c)[canonical] : undefined;
  const current = value === undefined ? undefined : value;
  const source = (process.env[canonical] ?? '') !== '' ? canonical : aliases.find((a) => a.kind === 'rename' && a.canonical === canonical && (process.env[a.name] ?? '') !== '')?.name;
  const others = aliases.filter((a) => a.canonical === canonical && a !== alias);
  const describeAlias = (a: Alias) => ({
    name: a.name, kind: a.kind, from: a.from.map((f) => REPLACED_SERVICES[f]), ...('note' in a && a.note ? { note: a.note } : {}),
  });
  const out = {
    name,
    canonical,
    ...(alias ? { alias: describeAlias(alias) } : {}),
    description: spec.doc,
    default: spec.default ?? null,
    secret: spec.secret === true,
    value: current ?? null,
    setBy: source ?? null,
    ...(alias?.kind === 'switch' ? { switchValue: process.env[name] ?? null } : {}),
    aliases: others.map(describeAlias),
    ...(problem ? { problem } : {}),
  };
  if (json) return print(true, out);
  if (alias?.kind === 'switch') say(`${name}: an on/off switch of ${alias.from.map((f) => REPLACED_SERVICES[f]).join(', ')}, checked against ${canonical}: ${alias.note}`);
  else if (alias) say(`${name}: an alias of ${canonical} (from ${alias.from.map((f) => REPLACED_SERVICES[f]).join(', ')})${alias.note ? `, ${alias.note}` : ''}`);
  say(`${canonical}: ${spec.doc}`);
  say(`  default:  ${spec.default === undefined ? '(unset)' : spec.default === '' ? '""' : spec.default}`);
  say(`  value:    ${current === null || current === undefined ? '(unset)' : typeof current === 'object' ? JSON.stringify(current) : String(current)}${source && source !== canonical ? ` (set as ${source})` : ''}`);
  if (alias?.kind === 'switch') say(`  ${name}: ${process.env[name] ?? '(unset)'}`);
  if (others.length) say(`  aliases:  ${others.map((a) => `${a.name} (${a.from.map((f) => REPLACED_SERVICES[f]).join(', ')}${a.kind === 'switch' ? ', on/off switch' : ''})`).join(', ')}`);
  if (problem) say(`  problem:  ${problem}`);
}
