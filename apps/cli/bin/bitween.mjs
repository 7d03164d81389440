#!/usr/bin/env node
// `npx bitween` in the repository: runs the built CLI (dist/main.js). Right after `npm ci` nothing
// is built yet, so the first use builds the CLI and the libraries it needs (once, ~20 s).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const nx = `${root}node_modules/nx/dist/bin/nx.js`;
  if (!existsSync(nx)) {
    console.error('bitween: the CLI is not built (apps/cli/dist is missing): run `npm run build` first');
    process.exit(1);
  }
  console.error('bitween: building the CLI (first use after npm ci)…');
  const built = spawnSync(process.execPath, [nx, 'run', '@bitween/cli:build', '--output-style=static'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  });
  if (built.status !== 0 || !existsSync(main)) {
    console.error('bitween: building the CLI failed: run `npm run build` and look at its output');
    process.exit(1);
  }
}
await import(main.href);
