#!/usr/bin/env node
// Launcher: runs the TypeScript sources through tsx with the `source` export condition, so the
// CLI works from a plain `npm ci` without a build step.
//
// The command runs in its own process group and this launcher forwards each SIGINT, SIGTERM and
// SIGHUP to it exactly once: a Ctrl-C (which a terminal sends to the launcher's group) and a SIGTERM
// sent to the launcher alone (a container's PID 1) both reach the command once, so it drains.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// tsx resolved from this package, so the command works from any directory.
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, main, ...process.argv.slice(2)], {
  stdio: 'inherit',
  detached: true,
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.once('error', (error) => {
  process.stderr.write(`sensorfuse: cannot start node: ${error.message}\n`);
  process.exitCode = 1;
});
child.once('exit', (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
});
