// LIDAR chain on the simulator: recall and false positives on urban-day and night-rain, with and
// without the weather-noise filter, against the simulator's ground truth (object boxes, per-point labels).
//   node --conditions=source --import tsx bench/lidar/sim-eval.ts [--duration-s 20] [--seed 1]
//   (or npm run eval -w @sensorfuse/lidar-worker)
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateLidarOnSimulation, simRigLidarParams, type SimEvalRow } from '@sensorfuse/lidar-worker';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = path.join(repoRoot, 'bench/results');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const durationS = arg('--duration-s', 20);
const seed = arg('--seed', 1);
const PRESETS = ['urban-day', 'night-rain'] as const;

function main(): void {
  const rows: SimEvalRow[] = [];
  const t0 = performance.now();
  for (const preset of PRESETS) {
    const [on, off] = evaluateLidarOnSimulation({ preset, seed, durationS });
    rows.push(on, off);
    for (const r of [on, off]) {
      console.info(`${preset} filter ${r.noiseFilter}: recall ${r.recall.toFixed(3)} (${r.matched}/${r.qualifying}), FP ${r.falsePositives} (${r.falsePositivesPerSweep.toFixed(2)}/sweep)`);
    }
  }
  const params = simRigLidarParams(1.9);
  const result = {
    seed,
    durationS,
    criteria: { minPoints: 50, maxRangeM: 40, matchM: 1 },
    noiseParams: params.noise,
    rows,
    seconds: (performance.now() - t0) / 1000,
    loadavg1m: loadavg()[0],
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'lidar-sim.json'), JSON.stringify(result, null, 2) + '\n');
  const f = (v: number, d = 3): string => (Number.isFinite(v) ? v.toFixed(d) : '—');
  const md = [
    '# LIDAR chain on the simulator',
    '',
    `Seed ${seed}, ${durationS} s per preset (${rows[0]?.sweeps ?? 0} sweeps at 10 Hz, 32 beams × 1024 steps). A truth object counts when it has ≥ 50`,
    'LIDAR points and is within 40 m; it is found when a cluster box centre is within 1 m (3D) of its box centre. An unmatched',
    'cluster is classified by the majority truth label of the sweep\'s points inside its box (+0.15 m): weather (rain, spray),',
    'ground, static clutter (poles, trees, facades: real things the simulator does not list as road users) or part of a road',
    'user (split or partly seen, centre > 1 m off). False positives = weather + ground clusters.',
    `Noise filter (simulator rig): intensity ≤ ${params.noise.lowIntensity} and fewer than ${params.noise.minNeighbors} neighbours within max(${params.noise.minRadius} m, ${params.noise.radiusMultiplier} · range · ${params.noise.angularResolutionDeg}°).`,
    '',
    '| preset | noise filter | sweeps | truth objects | found | recall | clusters | false positives (weather + ground) | per sweep | static clutter | road-user parts | noise fraction |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.preset} | ${r.noiseFilter} | ${r.sweeps} | ${r.qualifying} | ${r.matched} | ${f(r.recall)} | ${r.clusters} | ${r.falsePositives} (${r.unmatched.weather} + ${r.unmatched.ground}) | ${f(r.falsePositivesPerSweep, 2)} | ${r.unmatched.clutter} | ${r.unmatched.objectPart} | ${f(r.meanNoiseFraction)} |`,
    ),
    '',
    `Run time ${f(result.seconds, 1)} s (load average ${f(result.loadavg1m ?? Number.NaN, 1)}).`,
    '',
    'Command: `npm run eval -w @sensorfuse/lidar-worker` (= `node --conditions=source --import tsx bench/lidar/sim-eval.ts --duration-s 20 --seed 1`).',
    '',
  ].join('\n');
  writeFileSync(path.join(resultsDir, 'lidar-sim.md'), md);
  console.info(md);
}

main();
