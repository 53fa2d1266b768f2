// Motion worker on the project simulator (issue 8): the simulator's raw.motion stream (IMU 200 Hz
// with a 50 Hz magnetometer, GNSS 10 Hz with multipath, the scenario's transport faults) through
// MotionCore, scored against the simulator's closed-form ego pose.
//   - urban-day: position, velocity and yaw RMSE (several seeds)
//   - sensor-dropout with a 20 s GNSS outage: error growth, published σ growth and NEES per step,
//     per run (share of steps in the 95 % χ² interval) and averaged over the Monte-Carlo runs.
// Two parameter sets: the worker's defaults, and the filter noise taken from the simulated IMU's
// specification. Writes bench/results/motion-sim.{json,md}.
// Run: npm run eval -w @sensorfuse/motion-worker   (EVAL_SEEDS=n to change the Monte-Carlo size)
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chiSquareQuantile, type MotionEstimatorParams } from '@sensorfuse/filters';
import { presetScenario } from '@sensorfuse/simulator';
import { motionCoreOptions } from '../src/core/params.js';
import { loadMotionConfig } from '../src/config.js';
import { GNSS_OUTAGE_20S, between, runMotionOnSimulator, sensorDropout20s, summarise, type ErrorSummary, type SimEvalRun } from '../src/simulator-eval.spec-helper.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.resolve(here, '../../../bench/results');
const seeds = Array.from({ length: Number(process.env.EVAL_SEEDS ?? 10) }, (_, i) => i + 1);
/** The INS starts at the first fix with zero velocity (the wire GnssFix has no velocity): score after this. */
const CONVERGED_S = 2;

// The simulated IMU (services/simulator DEFAULT_SCENARIO.sensors.imu): 200 Hz, white noise σ per
// sample 0.02 m/s² and 0.001 rad/s (density = σ/√rate), bias σ 0.02 m/s² / 0.0005 rad/s, bias
// random walk 0.001 m/s²/√s and 2e-5 rad/s/√s.
const imu = presetScenario('urban-day').sensors.imu;
const datasheet: Partial<MotionEstimatorParams> = {
  accelNoiseDensity: imu.accelNoiseSigma / Math.sqrt(imu.rateHz),
  gyroNoiseDensity: imu.gyroNoiseSigma / Math.sqrt(imu.rateHz),
  accelBiasRandomWalk: imu.accelBiasWalk,
  gyroBiasRandomWalk: imu.gyroBiasWalk,
  initialAccelBiasStd: 2.5 * imu.accelBiasSigma,
  initialGyroBiasStd: 4 * imu.gyroBiasSigma,
};
const variants: Record<string, Partial<MotionEstimatorParams>> = {
  'worker defaults': motionCoreOptions(loadMotionConfig({}), () => 0).estimator,
  'simulated IMU specification': { ...motionCoreOptions(loadMotionConfig({}), () => 0).estimator, ...datasheet },
};

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (x: number, d = 2): string => x.toFixed(d);
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

interface OutageGrowthRow {
  readonly tS: number;
  readonly rmsErrorM: number;
  readonly meanStdM: number;
  readonly averagedNees: number;
  readonly rmsYawErrorDeg: number;
  readonly meanYawStdDeg: number;
}

function averaged(runs: readonly SimEvalRun[], fromS: number, toS: number): { share: number; bounds: readonly [number, number]; steps: number; growth: OutageGrowthRow[] } {
  const n = runs.length;
  const bounds: [number, number] = [chiSquareQuantile(0.025, 3 * n) / n, chiSquareQuantile(0.975, 3 * n) / n];
  // Outputs are on the same 20 ms grid in every run: group by it.
  const byTick = new Map<number, SimEvalRun['steps'][number][]>();
  for (const r of runs) for (const s of between(r.steps, fromS, toS)) {
    const k = Math.round(s.tS * 50);
    byTick.set(k, [...(byTick.get(k) ?? []), s]);
  }
  let inside = 0;
  let total = 0;
  const growth: OutageGrowthRow[] = [];
  for (const [k, group] of [...byTick.entries()].sort((a, b) => a[0] - b[0])) {
    if (group.length !== n) continue;
    const nees = mean(group.map((s) => s.positionNees));
    total++;
    if (nees >= bounds[0] && nees <= bounds[1]) inside++;
    if (k % 100 === 0 || k === Math.round(toS * 50) - 1) {
      growth.push({
        tS: k / 50,
        rmsErrorM: Math.sqrt(mean(group.map((s) => Math.hypot(...s.positionErrorM) ** 2))),
        meanStdM: mean(group.map((s) => Math.hypot(...s.positionStdM))),
        averagedNees: nees,
        rmsYawErrorDeg: (Math.sqrt(mean(group.map((s) => s.yawErrorRad ** 2))) * 180) / Math.PI,
        meanYawStdDeg: (mean(group.map((s) => s.yawStdRad)) * 180) / Math.PI,
      });
    }
  }
  return { share: inside / total, bounds, steps: total, growth };
}

function meanSummary(xs: readonly ErrorSummary[]): ErrorSummary {
  const keys = Object.keys(xs[0] ?? {}) as (keyof ErrorSummary)[];
  return Object.fromEntries(keys.map((k) => [k, mean(xs.map((x) => x[k]))])) as unknown as ErrorSummary;
}

const t0 = performance.now();
const dropout = sensorDropout20s();
const { startS, endS } = GNSS_OUTAGE_20S;
const results = Object.entries(variants).map(([name, estimator]) => {
  const urban = seeds.map((seed) => runMotionOnSimulator({ scenario: presetScenario('urban-day'), seed, estimator }));
  const urbanScored = urban.map((r) => summarise(r.steps.filter((s) => s.tS >= CONVERGED_S)));
  const urbanAll = urban.map((r) => summarise(r.steps));
  const drop = seeds.map((seed) => runMotionOnSimulator({ scenario: dropout, seed, estimator }));
  const outage = drop.map((r) => summarise(between(r.steps, startS, endS)));
  const before = drop.map((r) => summarise(between(r.steps, CONVERGED_S, startS)));
  const after = drop.map((r) => summarise(between(r.steps, endS + 1, endS + 6)));
  const ends = drop.map((r) => between(r.steps, endS - 0.02, endS)[0]).filter((s) => s !== undefined);
  return {
    name,
    estimator,
    urbanDay: { perSeed: urbanScored, mean: meanSummary(urbanScored), meanIncludingFirstSeconds: meanSummary(urbanAll), rejectedSamples: urban.map((r) => r.rejectedSamples), gnssRejected: urban.map((r) => r.stats.gnssRejected) },
    outage: {
      windowS: [startS, endS],
      perSeed: outage,
      mean: meanSummary(outage),
      beforeOutage: meanSummary(before),
      oneToSixSecondsAfter: meanSummary(after),
      errorAtEndM: ends.map((s) => Math.hypot(...s.positionErrorM)),
      stdAtEndM: ends.map((s) => Math.hypot(...s.positionStdM)),
      averagedNees: averaged(drop, startS, endS),
      replays: drop.map((r) => r.stats.replays),
      late: drop.map((r) => r.stats.late),
    },
  };
});
const elapsedS = (performance.now() - t0) / 1000;

mkdirSync(resultsDir, { recursive: true });
const [lo3, hi3] = [chiSquareQuantile(0.025, 3), chiSquareQuantile(0.975, 3)];
const [lo1, hi1] = [chiSquareQuantile(0.025, 1), chiSquareQuantile(0.975, 1)];
writeFileSync(path.join(resultsDir, 'motion-sim.json'), `${JSON.stringify({ date: new Date().toISOString(), seeds, convergedAfterS: CONVERGED_S, outage: GNSS_OUTAGE_20S, chiSquare95: { dof3: [lo3, hi3], dof1: [lo1, hi1] }, elapsedS, loadAverage: loadavg()[0], results }, null, 2)}\n`);

const md: string[] = [
  '# Motion worker on the simulator (issue 8)',
  '',
  `${seeds.length} seeds each; \`urban-day\` scored from t ≥ ${CONVERGED_S} s (the INS starts at the first fix with zero velocity: the wire GnssFix has no velocity); \`sensor-dropout\` with its GNSS outage set to ${startS}–${endS} s (20 s) and 40 s long, all its other faults kept (IMU drops, duplicates, reordering, jitter). Truth: the simulator's closed-form ego pose at each EgoState's capture time, in the worker's ENU frame (anchored at its first fix). NEES 95 % bounds: χ²(3) [${f(lo3)}, ${f(hi3)}], χ²(1) [${f(lo1, 3)}, ${f(hi1)}]; averaged over the ${seeds.length} runs: χ²(${3 * seeds.length})/${seeds.length}.`,
  '',
  '| parameters | scene | position RMSE (m) | horizontal (m) | velocity RMSE (m/s) | yaw RMSE (°) | position NEES in 95 % | yaw NEES in 95 % | mean position NEES |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of results) {
  const u = r.urbanDay.mean;
  const o = r.outage.mean;
  md.push(`| ${r.name} | urban-day | ${f(u.positionRmseM)} | ${f(u.horizontalRmseM)} | ${f(u.velocityRmseMS)} | ${f(u.yawRmseDeg)} | ${pct(u.positionNeesInside95)} | ${pct(u.yawNeesInside95)} | ${f(u.meanPositionNees)} |`);
  md.push(`| ${r.name} | sensor-dropout, during the 20 s outage | ${f(o.positionRmseM)} | ${f(o.horizontalRmseM)} | ${f(o.velocityRmseMS)} | ${f(o.yawRmseDeg)} | ${pct(o.positionNeesInside95)} | ${pct(o.yawNeesInside95)} | ${f(o.meanPositionNees)} |`);
  const a = r.outage.oneToSixSecondsAfter;
  md.push(`| ${r.name} | sensor-dropout, 1–6 s after GNSS returns | ${f(a.positionRmseM)} | ${f(a.horizontalRmseM)} | ${f(a.velocityRmseMS)} | ${f(a.yawRmseDeg)} | ${pct(a.positionNeesInside95)} | ${pct(a.yawNeesInside95)} | ${f(a.meanPositionNees)} |`);
}
for (const r of results) {
  const av = r.outage.averagedNees;
  md.push('', `## Outage, ${r.name}`, '');
  md.push(`Position error at the end of the outage ${f(mean(r.outage.errorAtEndM), 1)} m (per seed ${r.outage.errorAtEndM.map((x) => f(x, 1)).join(', ')}), published 1σ (√trace) ${f(mean(r.outage.stdAtEndM), 1)} m. ` +
    `NEES averaged over the ${seeds.length} runs inside [${f(av.bounds[0])}, ${f(av.bounds[1])}] on **${av.steps === 0 ? 'n/a' : pct(av.share)}** of ${av.steps} steps; per run, ${pct(r.outage.mean.positionNeesInside95)} of steps inside the χ²(3) interval.`);
  md.push('', '| t (s) | RMS position error (m) | mean σ (m) | averaged NEES | RMS yaw error (°) | mean yaw σ (°) |', '|---:|---:|---:|---:|---:|---:|');
  for (const g of av.growth) md.push(`| ${f(g.tS, 1)} | ${f(g.rmsErrorM)} | ${f(g.meanStdM)} | ${f(g.averagedNees)} | ${f(g.rmsYawErrorDeg)} | ${f(g.meanYawStdDeg)} |`);
}
md.push('', `Parameters of the second set (from the simulated IMU's specification): ${Object.entries(datasheet).map(([k, v]) => `\`${k}\` ${Number(v).toPrecision(3)}`).join(', ')}.`);
md.push('', `Run ${new Date().toISOString()}, ${f(elapsedS, 1)} s, load average ${f(loadavg()[0] ?? 0, 1)}. Command: \`npm run eval -w @sensorfuse/motion-worker\`.`);
writeFileSync(path.join(resultsDir, 'motion-sim.md'), `${md.join('\n')}\n`);
console.log(md.join('\n'));
