import { Command } from 'commander';
import { print, say, withDeps } from '../context.ts';

export function keysCommand(): Command {
  const keys = new Command('keys').description('Signing keys of access tokens (published at /.well-known/jwks.json).')
    .addHelpText('after', `
Examples:
  $ tessera keys list
  $ tessera keys rotate --json`);

  keys.command('list')
    .description('Every stored key: active, retired (still published) or expired.')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        if (deps.keys.usesSecret()) say('tokens are signed with AUTH_JWT_SECRET (HS256); stored keys are not used');
        const all = await deps.keys.list();
        print(Boolean(o.json), { keys: all, usesSecret: deps.keys.usesSecret() }, { rows: all, columns: ['kid', 'alg', 'status', 'createdAt', 'retiredAt', 'publishedUntil'] });
      });
    });

  keys.command('rotate')
    .description('Make a new key the signing key. The previous ones stay in the JWKS until every token they signed has expired; running instances switch within seconds.')
    .option('--json', 'JSON output')
    .addHelpText('after', `
Examples:
  $ tessera keys rotate
  $ tessera keys rotate --json | jq -r .active.kid

Every instance hears of the rotation through Redis or PostgreSQL notifications (and
re-reads the keys each minute regardless); tokens signed before it stay valid until
they expire. With AUTH_JWT_SECRET there is nothing to rotate: change the secret.`)
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const result = await deps.keys.rotate(async (trx, r) => {
          await deps.audit.record(trx, { type: 'key.rotated', actor: { type: 'system' }, details: { kid: r.active.kid, alg: r.active.alg, retired: r.retired.map((k) => k.kid), deleted: r.deleted } });
        });
        if (o.json) return print(true, result);
        say(`active: ${result.active.kid} (${result.active.alg})`);
        for (const k of result.retired) say(`retired: ${k.kid}, published until ${k.publishedUntil}`);
        for (const k of result.deleted) say(`deleted: ${k} (its tokens have all expired)`);
      });
    });
  return keys;
}
