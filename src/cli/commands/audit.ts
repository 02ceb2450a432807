import { Command } from 'commander';
import type { PresentedEntry } from '../../modules/audit/index.ts';
import { AUDIT_EVENT_TYPES } from '../../modules/audit/index.ts';
import { findUser, intOption, list, usage, withDeps } from '../context.ts';

function line(e: PresentedEntry): string {
  const actor = e.actor.id ? `${e.actor.type}:${e.actor.id}` : e.actor.type;
  const details = Object.keys(e.details).length ? ` ${JSON.stringify(e.details)}` : '';
  return `${e.occurredAt}  ${e.type.padEnd(30)} ${e.success ? 'ok  ' : 'FAIL'} actor=${actor}${e.userId ? ` user=${e.userId}` : ''}${e.ip ? ` ip=${e.ip}` : ''}${e.reason ? ` reason=${e.reason}` : ''}${details}`;
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('The audit log.');
  audit.command('tail')
    .description('Print the latest entries, then follow new ones as they are written (Ctrl-C to stop).')
    .option('-n, --lines <n>', 'how many past entries to print first', intOption('--lines', 0, 10_000), 20)
    .option('--type <types>', 'only these types, comma separated', list, [])
    .option('--user <user>', 'only entries about this user')
    .option('--no-follow', 'print and exit')
    .option('--interval <ms>', 'how often to look for new entries', intOption('--interval', 100, 60_000), 1000)
    .option('--json', 'one JSON object per line')
    .addHelpText('after', `
Examples:
  $ tessera audit tail
  $ tessera audit tail --type user.login_failed,account.locked --json | jq .
  $ tessera audit tail -n 100 --user ada@example.com --no-follow`)
    .action(async (o: { lines: number; type: string[]; user?: string; follow: boolean; interval: number; json?: boolean }) => {
      const unknown = o.type.filter((t) => !(AUDIT_EVENT_TYPES as readonly string[]).includes(t));
      if (unknown.length) throw usage(`--type: unknown type ${unknown[0]}; one of ${AUDIT_EVENT_TYPES.join(', ')}`);
      await withDeps(async (deps) => {
        const userId = o.user ? (await findUser(deps, o.user)).id : undefined;
        const filter = { ...(userId ? { userId } : {}), ...(o.type.length ? { types: o.type } : {}) };
        const out = (e: PresentedEntry) => process.stdout.write(`${o.json ? JSON.stringify(e) : line(e)}\n`);
        const recent = o.lines > 0 ? (await deps.audit.list({ ...filter, ...(o.type.length ? { type: o.type.join(',') } : {}), limit: Math.min(o.lines, 500) })).entries.reverse() : [];
        recent.forEach(out);
        if (!o.follow) return;
        // The newest id so far: entries after it are new.
        let last = recent.at(-1)?.id ?? (await deps.audit.list({ limit: 1 })).entries[0]?.id ?? '0';
        let stop = false;
        const done = new Promise<void>((resolve) => {
          const end = () => { stop = true; resolve(); };
          process.once('SIGINT', end);
          process.once('SIGTERM', end);
        });
        while (!stop) {
          for (const e of await deps.audit.after(last, filter)) {
            out(e);
            last = e.id;
          }
          await Promise.race([done, new Promise((r) => setTimeout(r, o.interval))]);
        }
      });
    });
  return audit;
}
