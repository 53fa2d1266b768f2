#!/usr/bin/env node
// Launcher: runs the TypeScript sources through tsx with the `source` export condition, so the
// CLI works from a plain `npm ci` without a build step.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// tsx resolved from this package, so the command works from any directory.
const tsx = import.meta.resolve('tsx');
const result = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', tsx, main, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exitCode = result.status ?? 1;
