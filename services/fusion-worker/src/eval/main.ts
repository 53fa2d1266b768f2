/**
 * `npm run eval -w @sensorfuse/fusion-worker [-- --quick] [-- --tuning] [-- --fresh] [-- --jobs N] [-- --presets a,b]`
 *
 * Fused vs camera-only vs LIDAR-only on simulator scenes of urban-day, night-rain, sensor-dropout and
 * crowded, on the held-out seeds (`--tuning`: on the seeds the core was tuned on instead). Prints the table
 * and writes bench/results/fusion-eval.json and .md (`--tuning` writes fusion-eval-tuning.*).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateScenes, generatorCpuMs, loadScenes, type PresetResult } from './evaluate.js';
import { HELD_OUT_SEEDS, TUNING_SEEDS, sceneKeys } from './scenes.js';
import { STRATEGIES } from './strategies.js';
import { CAMERA_FOV_50M, DISTANCE_THRESHOLD_M, MIN_CAMERA_VISIBLE, MIN_LIDAR_POINTS } from './score.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const mode = flag('quick') ? 'quick' : 'full';
const tuning = flag('tuning');
const seeds = tuning ? TUNING_SEEDS : mode === 'quick' ? HELD_OUT_SEEDS.slice(0, 1) : HELD_OUT_SEEDS;
const jobs = Number(option('jobs') ?? 2);
const resultsDir = fileURLToPath(new URL('../../../../bench/results', import.meta.url));

const t0 = performance.now();
const c0 = process.cpuUsage();
const presetFilter = option('presets')?.split(',');
const keys = sceneKeys(seeds, mode).filter((k) => presetFilter === undefined || presetFilter.includes(k.preset));
console.log(`fusion evaluation (${mode}, ${tuning ? 'TUNING' : 'held-out'} seeds ${seeds.join(', ')}): ${String(keys.length)} scenes`);
const { scenes, generatedMs, generated } = await loadScenes(keys, { fresh: flag('fresh'), jobs, log: (l) => { console.log(l); } });
const t1 = performance.now();
const results = await evaluateScenes(scenes, STRATEGIES);
const fusionMs = performance.now() - t1;
const cpu = process.cpuUsage(c0);

const f2 = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(3));
const names = STRATEGIES.map((s) => s.name);
const get = (r: PresetResult, s: string) => r.strategies[s];

interface Target { readonly what: string; readonly required: string; readonly measured: string; readonly met: boolean }
const targets: Target[] = [];
const bestSingle = (r: PresetResult, pick: (x: NonNullable<ReturnType<typeof get>>) => number | undefined) => {
  const camRun = get(r, 'camera-only');
  const lidRun = get(r, 'lidar-only');
  const cam = camRun === undefined ? 0 : (pick(camRun) ?? 0);
  const lid = lidRun === undefined ? 0 : (pick(lidRun) ?? 0);
  return cam >= lid ? { name: 'camera-only', value: cam } : { name: 'lidar-only', value: lid };
};
for (const r of results) {
  const fused = get(r, 'fused');
  if (fused === undefined) continue;
  if (r.preset === 'urban-day' || r.preset === 'night-rain') {
    const margin = r.preset === 'urban-day' ? 0.05 : 0.1;
    const best = bestSingle(r, (x) => x.fov.mAP);
    targets.push({ what: `${r.preset}: fused mAP ≥ best single (${best.name}) + ${margin.toFixed(2)}`, required: `≥ ${f2(best.value + margin)}`, measured: `${f2(fused.fov.mAP)} (${fused.fov.mAP - best.value >= 0 ? '+' : ''}${f2(fused.fov.mAP - best.value)})`, met: fused.fov.mAP >= best.value + margin });
  }
  if (r.preset === 'sensor-dropout' && fused.outage !== undefined) {
    const lidar = get(r, 'lidar-only')?.outage?.mAP ?? 0;
    targets.push({ what: 'sensor-dropout, camera outage: fused mAP ≥ LIDAR-only − 0.02', required: `≥ ${f2(lidar - 0.02)}`, measured: f2(fused.outage.mAP), met: fused.outage.mAP >= lidar - 0.02 });
  }
  if (r.preset === 'urban-day' && fused.tracking !== undefined) {
    targets.push({ what: 'urban-day: fused MOTA ≥ 0.7', required: '≥ 0.700', measured: `${f2(fused.tracking.mota)} (coverage: detections ${f2(fused.trackingCoverage?.detections)}, with tracks ${f2(fused.trackingCoverage?.detectionsOrTracks)})`, met: fused.tracking.mota >= 0.7 });
  }
}

const lines: string[] = [];
lines.push(`# Fusion evaluation: fused vs camera-only vs LIDAR-only (${tuning ? 'TUNING seeds — not the reported figures' : 'held-out seeds'})`, '');
lines.push(`Simulator seeds ${seeds.join(', ')} (${tuning ? 'the seeds the core was tuned on' : `held out: the core was tuned on seeds ${TUNING_SEEDS.join(', ')} only`}), ${mode} mode; each scene through the workers' cores in process (camera: the shipped sim-detector; LIDAR, audio, motion cores), the fusion worker's aligner configuration, then each strategy with the same association and tracking code.`);
lines.push('');
lines.push(`Centre-distance mAP (nuScenes rule, one ${String(DISTANCE_THRESHOLD_M)} m threshold, classes with truth in the region) of the output tracks (tentative and confirmed, with their score). Region: centre within ${String(CAMERA_FOV_50M.maxRangeM)} m and inside the camera's horizontal field of view ("all around": ${String(CAMERA_FOV_50M.maxRangeM)} m, 360°). Truth: objects with ≥ ${String(MIN_LIDAR_POINTS)} LIDAR points in the sweep or ≥ ${String(MIN_CAMERA_VISIBLE * 100)} % visible in a delivered camera frame.`);
lines.push('');
lines.push(`| preset | seconds × seeds | sweeps | ${names.map((n) => `${n} mAP`).join(' | ')} | fused − best single | ${names.map((n) => `${n} all-around`).join(' | ')} |`);
lines.push(`|---|---:|---:|${names.map(() => '---:').join('|')}|---:|${names.map(() => '---:').join('|')}|`);
for (const r of results) {
  const best = bestSingle(r, (x) => x.fov.mAP);
  lines.push(`| ${r.preset} | ${String(r.durationS)} × ${String(r.seeds.length)} | ${String(r.sweeps)} | ${names.map((n) => f2(get(r, n)?.fov.mAP)).join(' | ')} | ${f2((get(r, 'fused')?.fov.mAP ?? 0) - best.value)} | ${names.map((n) => f2(get(r, n)?.allAround.mAP)).join(' | ')} |`);
  if (get(r, 'fused')?.outage !== undefined) {
    const bo = bestSingle(r, (x) => x.outage?.mAP);
    lines.push(`| ${r.preset}, camera outage only | | | ${names.map((n) => f2(get(r, n)?.outage?.mAP)).join(' | ')} | ${f2((get(r, 'fused')?.outage?.mAP ?? 0) - bo.value)} | | | |`);
  }
}
lines.push('', 'AP per class (camera field of view):', '');
lines.push(`| preset | strategy | ${['car', 'truck', 'pedestrian', 'cyclist', 'animal'].join(' | ')} | truth boxes | precision @2 m | recall @2 m |`);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) for (const n of names) {
  const d = get(r, n)?.fov;
  if (d === undefined) continue;
  lines.push(`| ${r.preset} | ${n} | ${['car', 'truck', 'pedestrian', 'cyclist', 'animal'].map((c) => f2(d.apByClass[c])).join(' | ')} | ${String(d.truthCount)} | ${f2(d.precision)} | ${f2(d.recall)} |`);
}
const tracked = results.filter((r) => get(r, 'fused')?.tracking !== undefined);
if (tracked.length > 0) {
  lines.push('', 'Tracking (confirmed tracks, class-agnostic, 2 m gate, camera field of view):', '');
  lines.push('Coverage, bounds on MOTA: "detections" is the share of truth appearances with a detection (before tracking, any class) within 2 m — what a tracker confirming exactly those, with no false track or switch, would reach (smoothing and coasting can add a little); "with tracks" adds any track (tentative, confirmed or lost) within 2 m — no choice of which tracks to confirm passes it.', '');
  lines.push('| preset | strategy | MOTA | coverage: detections | with tracks | IDF1 | ID switches | FP | misses | MOTP m | mostly tracked | mostly lost |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of tracked) for (const n of names) {
    const t = get(r, n)?.tracking;
    if (t === undefined) continue;
    lines.push(`| ${r.preset} | ${n} | ${f2(t.mota)} | ${f2(get(r, n)?.trackingCoverage?.detections)} | ${f2(get(r, n)?.trackingCoverage?.detectionsOrTracks)} | ${f2(t.idf1)} | ${String(t.numSwitches)} | ${String(t.numFalsePositives)} | ${String(t.numMisses)} | ${f2(t.motp)} | ${String(t.mostlyTracked)} | ${String(t.mostlyLost)} |`);
  }
}
lines.push('', 'Targets (issue 9):', '', '| target | required | measured | met |', '|---|---|---|---|');
for (const t of targets) lines.push(`| ${t.what} | ${t.required} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
const totalMs = performance.now() - t0;
lines.push('');
lines.push(`Run: ${String(keys.length)} scenes (${String(generated)} generated in ${(generatedMs / 1000).toFixed(0)} s wall with ${String(jobs)} parallel generators, the rest from the cache), fusion and scoring ${(fusionMs / 1000).toFixed(1)} s; total ${(totalMs / 1000).toFixed(0)} s wall; CPU: generators ${(generatorCpuMs() / 1000).toFixed(0)} s + this process ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s (on 2 idle cores ≈ ${((generatorCpuMs() / 2 + (cpu.user + cpu.system) / 1000) / 60000).toFixed(1)} min); ${String(cpus().length)} CPUs, load ${(loadavg()[0] ?? 0).toFixed(1)}, node ${process.version}.`);
lines.push('', `Command: \`npm run eval -w @sensorfuse/fusion-worker${mode === 'quick' ? ' -- --quick' : ''}${tuning ? ' -- --tuning' : ''}\``, '');
const md = lines.join('\n');
console.log(md);
mkdirSync(resultsDir, { recursive: true });
const base = tuning ? 'fusion-eval-tuning' : mode === 'quick' ? 'fusion-eval-quick' : 'fusion-eval';
if (presetFilter !== undefined) process.exit(0); // a partial run (development) does not overwrite the results
const meta = { date: new Date().toISOString(), mode, seeds, tuningSeeds: TUNING_SEEDS, heldOutSeeds: HELD_OUT_SEEDS, generated, generatedMs, generatorCpuMs: generatorCpuMs(), fusionMs, totalMs, cpuMs: (cpu.user + cpu.system) / 1000, node: process.version, cpus: cpus().length, loadavg1: loadavg()[0] };
writeFileSync(path.join(resultsDir, `${base}.json`), `${JSON.stringify({ meta, targets, results }, null, 2)}\n`);
writeFileSync(path.join(resultsDir, `${base}.md`), md);
