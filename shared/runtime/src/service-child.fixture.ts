// A tiny service run in a child process by run-service.spec.ts, to prove real SIGTERM handling.
// Usage: node --conditions=source --import tsx service-child.fixture.ts <clean|hang|interrupt>
//   clean: drains in 20 ms; hang: drain never ends (grace 300 ms); interrupt: drain never ends, grace 60 s.
import { runService } from './index.js';

const mode = process.argv[2] === 'hang' || process.argv[2] === 'interrupt' ? process.argv[2] : 'clean';
let ticker: NodeJS.Timeout | undefined;

await runService({
  name: 'child',
  graceMs: mode === 'interrupt' ? 60_000 : 300,
  exit: mode === 'clean' ? 'set-exit-code' : 'exit-process',
  start: () => {
    // Stands in for a consumer loop: keeps the event loop alive until drained.
    ticker = setInterval(() => undefined, 1000);
  },
  drain: async () => {
    if (mode !== 'clean') return new Promise<void>(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    clearInterval(ticker);
  },
  onStateChange: (change) => {
    process.stdout.write(`${change.to}${change.error === undefined ? '' : ` ${change.error.name}`}\n`);
  },
});
