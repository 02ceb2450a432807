import { Command, Option } from 'commander';
import { confirm, findUser, intOption, operator, print, readStdinLine, say, usage, withDeps } from '../context.ts';

const userColumns = ['id', 'username', 'email', 'role', 'active', 'emailVerified', 'lastLogin', 'createdAt'];

async function passwordFrom(o: { password?: string; passwordStdin?: boolean }): Promise<string | undefined> {
  if (o.password !== undefined && o.passwordStdin) throw usage('give --password or --password-stdin, not both');
  return o.passwordStdin ? readStdinLine() : o.password;
}

export function usersCommand(): Command {
  const users = new Command('users').description('Create, list and manage users (by id, email or username).')
    .addHelpText('after', `
Examples:
  $ tessera users list --search ada --json
  $ tessera users create --email ada@example.com --username ada --role admin --verified --password-stdin < pw.txt
  $ tessera users disable ada@example.com`);

  users.command('create')
    .description('Create a user (with a password, or without one and a set-password email).')
    .option('--email <email>', 'email address (required unless AUTH_EMAIL_REQUIRED=false)')
    .requiredOption('--username <username>', 'username')
    .option('--password <password>', 'password (visible in the shell history; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--role <role>', 'default role (AUTH_DEFAULT_ROLE when omitted)')
    .option('--roles <roles>', 'extra roles, comma separated', (v: string, p: string[]) => [...p, ...v.split(',').map((s) => s.trim()).filter(Boolean)], [] as string[])
    .option('--verified', 'mark the email as verified')
    .option('--send-setup-email', 'email a link to choose a password')
    .option('--json', 'JSON output')
    .addHelpText('after', `
Examples:
  $ echo "$PASSWORD" | tessera users create --email ada@example.com --username ada --password-stdin --verified
  $ tessera users create --email bob@example.com --username bob --send-setup-email --role moderator
  $ echo "$PASSWORD" | tessera users create --username kiosk-7 --password-stdin   (AUTH_EMAIL_REQUIRED=false)`)
    .action(async (o: { email?: string; username: string; password?: string; passwordStdin?: boolean; role?: string; roles: string[]; verified?: boolean; sendSetupEmail?: boolean; json?: boolean }) => {
      const password = await passwordFrom(o);
      await withDeps(async (deps) => {
        const { user } = await deps.admin.createUser(operator, {
          ...(o.email !== undefined ? { email: o.email } : {}), username: o.username, ...(password !== undefined ? { password } : {}), ...(o.role ? { role: o.role } : {}),
          roles: o.roles, emailVerified: Boolean(o.verified), sendPasswordSetup: Boolean(o.sendSetupEmail),
        });
        if (o.json) print(true, { user });
        else say(`created user ${user.id} (${[user.username, user.email ?? 'no email'].join(', ')}, role ${user.role})`);
      });
    });

  users.command('list')
    .description('List users, newest first, a page at a time.')
    .option('--search <text>', 'part of the email or username')
    .option('--role <role>', 'holding this role')
    .addOption(new Option('--status <status>', 'active or disabled').choices(['active', 'disabled']))
    .option('--verified', 'only verified emails')
    .option('--unverified', 'only unverified emails')
    .option('--mfa', 'only users with a second factor')
    .addOption(new Option('--sort <field>', 'sort key, - for descending').choices(['created_at', '-created_at', 'email', '-email', 'username', '-username']).default('-created_at'))
    .option('--limit <n>', 'users per page (1-100)', intOption('--limit', 1, 100), 20)
    .option('--cursor <cursor>', 'the nextCursor of the previous page')
    .option('--all', 'every page')
    .option('--json', 'JSON output')
    .addHelpText('after', `
Examples:
  $ tessera users list --role admin
  $ tessera users list --all --json > users.json`)
    .action(async (o: { search?: string; role?: string; status?: string; verified?: boolean; unverified?: boolean; mfa?: boolean; sort: string; limit: number; cursor?: string; all?: boolean; json?: boolean }) => {
      if (o.verified && o.unverified) throw usage('give --verified or --unverified, not both');
      await withDeps(async (deps) => {
        const params = {
          ...(o.search ? { q: o.search } : {}), ...(o.role ? { role: o.role } : {}), ...(o.status ? { active: o.status === 'active' } : {}),
          ...(o.verified || o.unverified ? { verified: Boolean(o.verified) } : {}), ...(o.mfa ? { mfa: true } : {}), sort: o.sort, limit: o.limit,
        };
        let cursor = o.cursor;
        const all: Record<string, unknown>[] = [];
        let next: string | null = null;
        do {
          const page = await deps.admin.listUsers({ ...params, ...(cursor ? { cursor } : {}) });
          all.push(...page.users);
          next = page.nextCursor;
          cursor = next ?? undefined;
        } while (o.all && next);
        print(Boolean(o.json), { users: all, nextCursor: next }, { rows: all, columns: userColumns, empty: 'no users' });
        if (!o.json && next) process.stderr.write(`more: --cursor ${next}\n`);
      });
    });

  users.command('show <user>')
    .description('A user with roles, permissions, sessions, factors and passkeys.')
    .option('--json', 'JSON output')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const detail = await deps.admin.getUser((await findUser(deps, ref)).id);
        const identities = await deps.oauth.identitiesForAdmin(detail.user.id);
        if (o.json) return print(true, { ...detail, identities });
        const u = detail.user;
        for (const [k, v] of Object.entries({ id: u.id, username: u.username, email: u.email, emailVerified: u.emailVerified, active: u.active, role: u.role, roles: u.roles.join(', '), permissions: detail.permissions.join(', ') || '-', hasPassword: u.hasPassword, passwordResetRequired: u.passwordResetRequired, lastLogin: u.lastLogin ?? '-', createdAt: u.createdAt, sessions: detail.sessions.length, passkeys: detail.passkeys.length, identities: identities.map((i) => i.provider).join(', ') || '-' })) {
          say(`${k.padEnd(22)}${String(v)}`);
        }
      });
    });

  users.command('set-role <user> <role>')
    .description("Set a user's default role (the role in tokens; extra roles: tessera roles assign).")
    .action(async (ref: string, role: string) => {
      await withDeps(async (deps) => {
        const u = await findUser(deps, ref);
        await deps.admin.updateUser(operator, u.id, { role });
        say(`${u.username}: default role ${role}`);
      });
    });

  for (const [name, active] of [['disable', false], ['enable', true]] as const) {
    users.command(`${name} <user>`)
      .description(active ? 'Enable a disabled user.' : 'Disable a user: sign-in refused, every session ended at once.')
      .action(async (ref: string) => {
        await withDeps(async (deps) => {
          const u = await findUser(deps, ref);
          await deps.admin.setActive(operator, u.id, active);
          say(`${u.username}: ${active ? 'enabled' : 'disabled'}`);
        });
      });
  }

  users.command('delete <user>')
    .description('Delete a user with their sessions, factors and identities.')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, o: { yes?: boolean }) => {
      await withDeps(async (deps) => {
        const u = await findUser(deps, ref);
        await confirm(o.yes, `Delete ${u.username} (${u.email ?? 'no email'})`);
        await deps.admin.deleteUser(operator, u.id);
        say(`${u.username}: deleted`);
      });
    });

  users.command('reset-password <user>')
    .description('Set a new password (every session ends), or with --email require a reset and send the link.')
    .option('--password <password>', 'the new password (visible in the shell history; prefer --password-stdin)')
    .option('--password-stdin', 'read the new password from standard input')
    .option('--email', 'send a reset link instead: the next sign-in must choose a new password')
    .addHelpText('after', `
Examples:
  $ echo "$NEW_PASSWORD" | tessera users reset-password ada@example.com --password-stdin
  $ tessera users reset-password ada --email`)
    .action(async (ref: string, o: { password?: string; passwordStdin?: boolean; email?: boolean }) => {
      const password = await passwordFrom(o);
      if (Boolean(o.email) === (password !== undefined)) throw usage('give a new password (--password-stdin or --password) or --email');
      await withDeps(async (deps) => {
        const u = await findUser(deps, ref);
        if (o.email) {
          await deps.admin.forcePasswordReset(operator, u.id);
          await deps.outbox.kick();
          say(`${u.username}: reset required; link sent to ${u.email} (queued if the mail server did not take it)`);
        } else {
          const { sessionsEnded } = await deps.admin.setPassword(operator, u.id, password!);
          say(`${u.username}: password set; ${sessionsEnded} session(s) ended`);
        }
      });
    });

  users.command('unlock <user>')
    .description('Lift a sign-in lock after repeated failures.')
    .action(async (ref: string) => {
      await withDeps(async (deps) => {
        const u = await findUser(deps, ref);
        await deps.admin.unlock(operator, u.id);
        say(`${u.username}: unlocked`);
        // Without Redis a lock lives in the memory of the server that counted the failures.
        if (!deps.redis) process.stderr.write('note: without REDIS_URL, sign-in locks are kept in each server\'s memory; restart the server or use POST /admin/users/:id/unlock on it\n');
      });
    });

  users.command('revoke-sessions <user>')
    .description("End a user's sessions (all, or one with --session).")
    .option('--session <id>', 'only this session')
    .action(async (ref: string, o: { session?: string }) => {
      await withDeps(async (deps) => {
        const u = await findUser(deps, ref);
        const n = await deps.admin.revokeSessions(operator, u.id, o.session);
        say(`${u.username}: ${n} session(s) ended`);
      });
    });
  return users;
}
