import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from './main.ts';
import { parseAddr } from './commands/serve.ts';

function all(c: Command, path: string[] = []): { path: string; cmd: Command }[] {
  return [{ path: path.join(' '), cmd: c }, ...c.commands.filter((s) => s.name() !== 'help').flatMap((s) => all(s, [...path, s.name()]))];
}

test('every command and subcommand has --help with an example of its own', () => {
  for (const { path, cmd } of all(buildProgram())) {
    let text = '';
    cmd.configureOutput({ writeOut: (s) => { text += s; }, writeErr: (s) => { text += s; } });
    cmd.outputHelp();
    assert.match(text, /Examples?:\n(?: {2}\$ [^\n]*\n?)+/, `tessera ${path} --help`);
    // The examples run this very command (its first word at least).
    if (path) assert.match(text, new RegExp(`\\$ [^\\n]*tessera ${path.split(' ')[0]}`), `tessera ${path}: an example of the command itself`);
  }
});

test('--addr takes host:port, :port, [v6]:port; anything else is a usage error', () => {
  assert.deepEqual(parseAddr('0.0.0.0:8080'), { HOST: '0.0.0.0', PORT: '8080' });
  assert.deepEqual(parseAddr(':4000'), { PORT: '4000' });
  assert.deepEqual(parseAddr('4000'), { PORT: '4000' });
  assert.deepEqual(parseAddr('[::1]:4001'), { HOST: '::1', PORT: '4001' });
  for (const bad of ['host:', 'host:99999', 'a:b:c', '']) assert.throws(() => parseAddr(bad), /--addr: expected host:port/, bad);
});

test('serve takes Go-style single-dash flags (-addr :8080, -addr=:8080) as its double-dash ones, and nothing else', async () => {
  const { goStyleFlags } = await import('./main.ts');
  const base = ['node', 'tessera'];
  assert.deepEqual(goStyleFlags([...base, 'serve', '-addr', ':8080', '-session-ttl=24h']), [...base, 'serve', '--addr', ':8080', '--session-ttl=24h']);
  assert.deepEqual(goStyleFlags([...base, 'serve', '-port', '4001']), [...base, 'serve', '--port', '4001']);
  // Other commands, and unknown single-dash words, are left to commander.
  assert.deepEqual(goStyleFlags([...base, 'users', 'list', '-addr']), [...base, 'users', 'list', '-addr']);
  assert.deepEqual(goStyleFlags([...base, 'serve', '-x', '-address']), [...base, 'serve', '-x', '-address']);
  // The result parses: serve knows --addr.
  const serve = buildProgram().commands.find((c) => c.name() === 'serve')!;
  assert.ok(serve.options.some((o) => o.long === '--addr'));
});
