/**
 * Motion estimator throughput: 1 kHz IMU + 10 Hz GNSS + 10 Hz magnetometer (the circle-drive
 * simulation) through MotionEstimator, as a multiple of real time on one core. Baselines in the
 * same run: (a) the same samples merely iterated, (b) a naive dense EKF prediction (15×15
 * F·P·Fᵀ with generic matrix products) at the same rate, i.e. what the sparse propagation saves.
 * Results: bench/results/motion.json and motion.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CIRCLE_DRIVE, identity, MotionEstimator, multiply, multiplyABt, simulateCircleDrive, zeros } from '@sensorfuse/filters';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.resolve(here, '../results');
const durationS = Number(process.env.BENCH_MOTION_SECONDS ?? 60);
const repeats = 5;

const { samples } = simulateCircleDrive({ ...DEFAULT_CIRCLE_DRIVE, durationS, imuRateHz: 1000 });
const imuCount = samples.filter((s) => s.kind === 'imu').length;

function time(fn: () => number): { ms: number; sink: number } {
  const t0 = performance.now();
  const sink = fn();
  return { ms: performance.now() - t0, sink };
}

function best(fn: () => number): number {
  fn(); // warm-up
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) min = Math.min(min, time(fn).ms);
  return min;
}

const estimatorMs = best(() => {
  const est = new MotionEstimator();
  let outputs = 0;
  for (const s of samples) if (est.update(s) !== undefined) outputs++;
  return outputs;
});

const iterateMs = best(() => {
  let acc = 0;
  for (const s of samples) acc += s.captureTimeUs & 1;
  return acc;
});

// Naive dense propagation: P ← F P Fᵀ + Q with generic 15×15 products, one per IMU sample.
const n = 15;
const f = identity(n);
for (let i = 0; i < 3; i++) f[i * n + 3 + i] = 0.001;
for (let i = 3; i < 9; i++) for (let j = 6; j < 15; j++) f[i * n + j] = 1e-4 * (i + j);
const denseMs = best(() => {
  const p = identity(n);
  const fp = zeros(n);
  for (let k = 0; k < imuCount; k++) {
    multiply(f, p, n, n, n, fp);
    multiplyABt(fp, f, n, n, n, p);
    for (let i = 0; i < n; i++) p[i * n + i] = (p[i * n + i] ?? 0) + 1e-9;
  }
  return p[0] ?? 0;
});

const realS = durationS;
const result = {
  benchmark: 'motion',
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  loadAverage1m: loadavg()[0] ?? 0,
  input: { durationS, imuRateHz: 1000, gnssRateHz: 10, magRateHz: 10, samples: samples.length },
  estimator: { ms: estimatorMs, realTimeFactor: (realS * 1000) / estimatorMs, usPerSample: (estimatorMs * 1000) / samples.length },
  baselineIterate: { ms: iterateMs, realTimeFactor: (realS * 1000) / iterateMs },
  baselineDensePropagation: { ms: denseMs, realTimeFactor: (realS * 1000) / denseMs },
  ratios: { estimatorOverIterate: estimatorMs / iterateMs, estimatorOverDensePropagationOnly: estimatorMs / denseMs },
  bestOf: repeats,
};

mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'motion.json'), JSON.stringify(result, null, 2) + '\n');
const md = `# bench/motion

${durationS} s of simulated driving: IMU 1 kHz + GNSS 10 Hz + magnetometer 10 Hz (${samples.length} samples), best of ${repeats}, one core, Node ${process.version}, ${result.cpu}, 1-min load average ${result.loadAverage1m.toFixed(1)} (shared machine).

| run | time (ms) | × real time |
|---|---:|---:|
| MotionEstimator.update (full pipeline) | ${estimatorMs.toFixed(1)} | ${result.estimator.realTimeFactor.toFixed(0)} |
| baseline: iterate the samples only | ${iterateMs.toFixed(2)} | ${result.baselineIterate.realTimeFactor.toFixed(0)} |
| baseline: naive dense 15×15 F·P·Fᵀ per IMU sample (prediction only) | ${denseMs.toFixed(1)} | ${result.baselineDensePropagation.realTimeFactor.toFixed(0)} |

Per sample: ${result.estimator.usPerSample.toFixed(2)} µs. The full estimator (validation, snapshots for replay, sparse
propagation, SPD check, GNSS/mag updates) costs ${result.ratios.estimatorOverDensePropagationOnly.toFixed(2)}× the naive dense prediction alone.

Command: \`npm run bench -w @sensorfuse/filters\` (or \`node --conditions=source --import tsx bench/motion/index.ts\`).
`;
writeFileSync(path.join(resultsDir, 'motion.md'), md);
console.log(md);
