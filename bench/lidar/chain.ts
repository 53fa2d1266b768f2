// Quick whole-chain timing (no PCL, no per-step rows, writes nothing): processScan on the KITTI
// 000001 LidarScan bytes as the worker calls it, wall and process-CPU p50/p99, for A/B checks of a
// change. The full benchmark with PCL side by side is index.ts.
//   nice -n 10 node --conditions=source --import tsx bench/lidar/chain.ts [--runs 300] [--warmup 30]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kittiLayout, processScan } from '@sensorfuse/pointcloud';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const scanFile = path.resolve(repoRoot, '../shared/data/kitti/velodyne/000001.bin');
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 300);
const WARMUP = arg('--warmup', 30);

const q = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? Number.NaN;

function main(): void {
  const bytes = new Uint8Array(readFileSync(scanFile));
  const layout = kittiLayout(bytes.byteLength / 16);
  for (let i = 0; i < WARMUP; i++) processScan({ bytes, layout });
  const wall: number[] = [];
  const cpu: number[] = [];
  const load0 = loadavg()[0] ?? Number.NaN;
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    processScan({ bytes, layout });
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  console.info(
    `chain (bytes in) ${RUNS} runs: wall p50 ${q(wall, 0.5).toFixed(2)} p99 ${q(wall, 0.99).toFixed(2)} ms; ` +
      `CPU p50 ${q(cpu, 0.5).toFixed(2)} p99 ${q(cpu, 0.99).toFixed(2)} ms; load ${load0.toFixed(2)} → ${(loadavg()[0] ?? Number.NaN).toFixed(2)}`,
  );
}

main();
