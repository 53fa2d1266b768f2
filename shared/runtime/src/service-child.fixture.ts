// A tiny service run in a child process by run-service.spec.ts, to prove real SIGTERM handling.
// Usage: node --conditions=source --import tsx service-child.fixture.ts <clean|hang>
import { runService } from './index.js';

const mode = process.argv[2] === 'hang' ? 'hang' : 'clean';
let ticker: NodeJS.Timeout | undefined;

await runService({
  name: 'child',
  graceMs: 300,
  exit: mode === 'hang' ? 'exit-process' : 'set-exit-code',
  start: () => {
    // Stands in for a consumer loop: keeps the event loop alive until drained.
    ticker = setInterval(() => undefined, 1000);
  },
  drain: async () => {
    if (mode === 'hang') return new Promise<void>(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    clearInterval(ticker);
  },
  onStateChange: (change) => {
    process.stdout.write(`${change.to}${change.error === undefined ? '' : ` ${change.error.name}`}\n`);
  },
});
