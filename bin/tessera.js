#!/usr/bin/env node
// The `tessera` command (package.json "bin"): runs the TypeScript sources through tsx,
// as `npm start` does, so the repository needs no build step. src/cli/main.ts runs the
// command line when it sees that it was started as `tessera`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
