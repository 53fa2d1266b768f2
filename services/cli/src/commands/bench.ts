import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { EXIT, UserError } from '../errors.js';
import { list, withExamples } from '../options.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BENCH_DIR = path.join(REPO_ROOT, 'bench');

/** Benchmarks present in bench/ (each is bench/<name>/index.ts). */
export function benchNames(dir = BENCH_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'index.ts')))
    .map((e) => e.name)
    .sort();
}

function runBench(name: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(BENCH_DIR, name, 'index.ts'), ...args], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      resolve(code ?? (signal === null ? 1 : 130));
    });
  });
}

export function benchCommand(): Command {
  const command = new Command('bench')
    .description('Run the benchmarks of bench/: the end-to-end pipeline benchmark when it exists, else every component benchmark. Results go to bench/results/ (JSON + markdown).')
    .option('--quick', 'short runs (passed through to the pipeline benchmark)', false)
    .option('--only <list>', 'comma-separated benchmark names (directories of bench/)', list)
    .action(async (options: { quick: boolean; only?: string[] }) => {
      const available = benchNames();
      let names: string[];
      if (options.only !== undefined) {
        const unknown = options.only.filter((n) => !available.includes(n));
        if (unknown.length > 0) throw new UserError(`unknown benchmark ${unknown.join(', ')}`, EXIT.usage, `choose from: ${available.join(', ')}`);
        names = options.only;
      } else {
        names = available.includes('pipeline') ? ['pipeline'] : available;
      }
      for (const [i, name] of names.entries()) {
        process.stderr.write(`bench ${String(i + 1)}/${String(names.length)}: ${name}\n`);
        const code = await runBench(name, name === 'pipeline' && options.quick ? ['--quick'] : []);
        if (code !== 0) throw new UserError(`benchmark ${name} failed (exit ${String(code)})`, EXIT.internal, `run it alone: node --conditions=source --import tsx bench/${name}/index.ts`);
      }
    });
  return withExamples(command, ['sensorfuse bench --quick', 'sensorfuse bench --only lidar,fusion'], 'Run it on an idle machine: the figures are throughput ratios against a baseline measured in the same run.');
}
