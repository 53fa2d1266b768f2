import { Command } from 'commander';
import { recover } from '@sensorfuse/recorder';
import { withExamples } from '../options.js';

export function recoverCommand(): Command {
  const command = new Command('recover')
    .description('Repair an MCAP recording cut short by a crash: every message that reached the disk whole goes into a new, complete, indexed file.')
    .argument('<input>', 'the damaged .mcap file')
    .option('--out <file.mcap>', 'where to write the repaired recording (default: <input>.recovered.mcap)')
    .action(async (input: string, options: { out?: string }) => {
      const stats = await recover({ input, ...(options.out === undefined ? {} : { output: options.out }) });
      process.stdout.write(
        `recovered ${String(stats.messages)} messages on ${String(stats.channels)} channels → ${stats.output} ` +
          `(stopped by ${stats.stoppedBy}${stats.reason === undefined ? '' : `: ${stats.reason}`}; ${String(stats.bytesDropped)} bytes dropped)\n`,
      );
    });
  return withExamples(command, ['sensorfuse recover crashed.mcap', 'sensorfuse recover crashed.mcap --out repaired.mcap']);
}
