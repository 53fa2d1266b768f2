// Composition root of the `sensorfuse` command line. The embedded pipeline (simulator, workers,
// fusion, dashboard on the MemoryBus) is wired here as its parts land; until then `run` reports
// which parts exist and exits cleanly.
const [command = 'run'] = process.argv.slice(2);

function main(): number {
  switch (command) {
    case 'run':
      process.stdout.write('sensorfuse: embedded pipeline is not assembled yet; foundations only.\n');
      return 0;
    default:
      process.stderr.write(`sensorfuse: unknown command "${command}". Known: run\n`);
      return 2;
  }
}

process.exitCode = main();
