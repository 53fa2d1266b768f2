// Composition root of the `sensorfuse` command line: parse, run the command, map errors to one
// clear line and a distinct exit code (stack traces only for internal errors).
import { CommanderError } from 'commander';
import { EXIT, toUserError } from './errors.js';
import { buildProgram, unknownCommand } from './program.js';

async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = buildProgram();
    const unknown = unknownCommand(program, argv);
    if (unknown !== undefined) throw unknown;
    await program.parseAsync([...argv], { from: 'user' });
    // A service run by `sensorfuse worker` sets its own exit code (1 when it failed).
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const userError = toUserError(error);
    if (userError !== undefined) {
      process.stderr.write(`sensorfuse: ${userError.message}\n  hint: ${userError.hint}\n`);
      exitSoon();
      return userError.exitCode;
    }
    process.stderr.write(`sensorfuse: internal error\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    exitSoon();
    return EXIT.internal;
  }
}

/**
 * After a failed start a library may still hold a socket or timer open (a Kafka client retrying);
 * the process must end anyway once stderr is flushed. Unref'd: a clean exit is not delayed.
 */
function exitSoon(): void {
  setTimeout(() => process.exit(), 1_000).unref();
}

process.exitCode = await main(process.argv.slice(2));
