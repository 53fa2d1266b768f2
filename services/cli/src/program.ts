import { Command } from 'commander';
import { benchCommand } from './commands/bench.js';
import { evalCommand } from './commands/eval.js';
import { importCommand } from './commands/import.js';
import { recordCommand } from './commands/record.js';
import { recoverCommand } from './commands/recover.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { simulateCommand } from './commands/simulate.js';
import { topicsCommand } from './commands/topics.js';
import { upCommands } from './commands/up.js';
import { workerCommand } from './commands/worker.js';
import { EXIT, UserError } from './errors.js';

export const PRECEDENCE_NOTE =
  'Settings: defaults < --config file (YAML or JSON) < SENSORFUSE_* environment < flags.\n' +
  'Each shared setting has a flag (--port), a config key (port) and a variable (SENSORFUSE_PORT).';

/** The `sensorfuse` command line. Every command has --help with examples. */
export function buildProgram(): Command {
  const program = new Command('sensorfuse')
    .description('Streaming sensor fusion: camera, LIDAR, audio and motion aligned in event time and fused into tracked 3D detections.')
    .option('--config <file>', 'settings file, YAML or JSON (also SENSORFUSE_CONFIG_FILE)');
  program.addHelpText('after', `\n${PRECEDENCE_NOTE}\n\nExamples:\n  $ npm start                      (= sensorfuse run)\n  $ sensorfuse run --port 0\n  $ sensorfuse up && sensorfuse run --kafka 127.0.0.1:9092 --redis redis://127.0.0.1:6379\n  $ sensorfuse <command> --help\n`);
  const commands = [
    runCommand(),
    workerCommand(),
    topicsCommand(),
    ...upCommands(),
    simulateCommand(),
    recordCommand(),
    replayCommand(),
    importCommand(),
    recoverCommand(),
    evalCommand(),
    benchCommand(),
  ];
  for (const command of commands) program.addCommand(command, command.name() === 'run' ? { isDefault: true } : {});
  // Every command reports a usage error the same way: one line, a hint, exit 2 (no help dump).
  const oneLineErrors = (command: Command): void => {
    command
      // A fixed width: the same help on every terminal, and a stable docs/cli.md.
      .configureHelp({ helpWidth: 110, sortSubcommands: false })
      .showHelpAfterError(`  hint: see \`${commandPath(command)} --help\``)
      .configureOutput({ outputError: (text, write) => { write(`sensorfuse: ${text.replace(/^error: /, '')}`); } })
      .exitOverride();
    command.commands.forEach(oneLineErrors);
  };
  oneLineErrors(program);
  return program;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * `run` is the default command, so commander would read `sensorfuse frobnicate` as `run frobnicate`
 * ("too many arguments"); say what the user did instead.
 */
export function unknownCommand(program: Command, argv: readonly string[]): UserError | undefined {
  let i = 0;
  while (i < argv.length && argv[i] === '--config') i += 2;
  const first = argv[i];
  if (first === undefined || first.startsWith('-')) return undefined;
  const known = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (known.includes(first) || first === 'help') return undefined;
  return new UserError(`unknown command "${first}"`, EXIT.usage, `commands: ${known.join(', ')} (add --help for usage)`);
}

export { EXIT, UserError };
