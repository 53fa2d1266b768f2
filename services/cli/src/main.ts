// Composition root of the `sensorfuse` command line: parse, run the command, map errors to one
// clear line and a distinct exit code (stack traces only for internal errors).
import { CommanderError } from 'commander';
import { EXIT, toUserError } from './errors.js';
import { buildProgram } from './program.js';

async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const userError = toUserError(error);
    if (userError !== undefined) {
      process.stderr.write(`sensorfuse: ${userError.message}\n  hint: ${userError.hint}\n`);
      return userError.exitCode;
    }
    process.stderr.write(`sensorfuse: internal error\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.internal;
  }
}

process.exitCode = await main(process.argv.slice(2));
