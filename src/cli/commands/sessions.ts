import { Command } from 'commander';
import { CliError, EXIT, findUser, isUuid, operator, print, say, usage, withDeps } from '../context.ts';

export function sessionsCommand(): Command {
  const sessions = new Command('sessions').description("Users' active sessions (devices).")
    .addHelpText('after', `
Examples:
  $ tessera sessions list ada@example.com
  $ tessera sessions revoke 3f1c...-...       # one session
  $ tessera sessions revoke --user ada        # every session of a user`);

  sessions.command('list <user>')
    .description("A user's active sessions with device, address and last use.")
    .option('--json', 'JSON output')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const detail = await deps.admin.getUser((await findUser(deps, ref)).id);
        const rows = detail.sessions.map((s) => ({ ...s, device: [s.browser, s.os].filter(Boolean).join(' on ') || s.userAgent }));
        print(Boolean(o.json), { sessions: detail.sessions }, { rows, columns: ['id', 'client', 'device', 'ip', 'createdAt', 'lastUsedAt', 'expiresAt'], empty: 'no active sessions' });
      });
    });

  sessions.command('revoke [session]')
    .description('End one session by id, or every session of --user.')
    .option('--user <user>', "end every session of this user")
    .action(async (id: string | undefined, o: { user?: string }) => {
      if (Boolean(id) === Boolean(o.user)) throw usage('give a session id or --user <user>');
      if (id && !isUuid(id)) throw usage(`not a session id: ${JSON.stringify(id)}`);
      await withDeps(async (deps) => {
        if (o.user) {
          const u = await findUser(deps, o.user);
          say(`${u.username}: ${await deps.admin.revokeSessions(operator, u.id)} session(s) ended`);
          return;
        }
        const owner = await deps.sessions.ownerOf(id!.toLowerCase());
        if (!owner) throw new CliError(`no session ${id}`, EXIT.notFound);
        await deps.admin.revokeSessions(operator, owner, id!.toLowerCase());
        say(`session ${id} ended`);
      });
    });
  return sessions;
}
