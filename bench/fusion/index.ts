/**
 * Fusion cost per frame: the fusion core (`update`: LIDAR→body, projection into 2 cameras with
 * occlusion, Hungarian IoU matching, camera-only objects placed on LIDAR fragments (256 per sweep, the
 * LIDAR worker's cap, projected into both cameras), late fusion, CV Kalman tracking with Hungarian gating) for scenes of 10, 50 and 200 objects, against a baseline that passes the same
 * aligned frames through unchanged (each LIDAR object copied to an output track). Frames are
 * generated first; rounds interleave fusion and baseline; percentiles over all timed frames.
 * Results: bench/results/fusion.json and fusion.md.
 */
import { existsSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver, performance, type PerformanceEntry } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AlignedFrame, FrameMember } from '@sensorfuse/align';
import {
  DEFAULT_FUSION_PARAMS, createFusionState, projectIntoCamera, resolveCalibration, update,
  type BodyBox, type FusionPayload, type FusionState,
} from '@sensorfuse/fusion-worker';
import type { CameraDetections, FusedTrack, LidarFragment, LidarObjects, RigCalibration } from '@sensorfuse/schemas';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.resolve(here, '../results');
const framesPerScene = Number(process.env.BENCH_FUSION_FRAMES ?? 300);
const warmup = 30;
const rounds = Number(process.env.BENCH_FUSION_ROUNDS ?? 3);
const sizes = [10, 50, 200];
const FRAGMENTS_PER_SWEEP = 256;
const T0 = 1_767_225_600_000_000;
const PERIOD_US = 100_000;

let seed = 12345;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const intr = { width: 1600, height: 900, fx: 1266, fy: 1266, cx: 800, cy: 450, distortionModel: 'none' as const, distortionCoefficients: [] };
const rigCalibration: RigCalibration = {
  rigId: 'bench', version: 1, validFromUs: 0,
  sensors: [
    { sensorId: 'lidar', modality: 'lidar', frameId: 'lidar', extrinsics: { parentFrameId: 'base_link', childFrameId: 'lidar', transform: IDENTITY }, cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0 },
    { sensorId: 'cam_front', modality: 'camera', frameId: 'cam_front', extrinsics: { parentFrameId: 'base_link', childFrameId: 'cam_front', transform: [0, 0, 1, 1.5, -1, 0, 0, 0, 0, -1, 0, 1.5, 0, 0, 0, 1] }, cameraIntrinsics: intr, microphoneArray: null, clockOffsetUs: 0 },
    { sensorId: 'cam_back', modality: 'camera', frameId: 'cam_back', extrinsics: { parentFrameId: 'base_link', childFrameId: 'cam_back', transform: [0, 0, -1, -1, 1, 0, 0, 0, 0, -1, 0, 1.5, 0, 0, 0, 1] }, cameraIntrinsics: intr, microphoneArray: null, clockOffsetUs: 0 },
  ],
};
const calibration = resolveCalibration(rigCalibration);

function scene(n: number): AlignedFrame<FusionPayload>[] {
  const objects = Array.from({ length: n }, () => ({
    x: (rand() - 0.5) * 100, y: (rand() - 0.5) * 60, vx: (rand() - 0.5) * 20, vy: (rand() - 0.5) * 4, ped: rand() < 0.3,
  }));
  const frames: AlignedFrame<FusionPayload>[] = [];
  for (let f = 0; f < framesPerScene; f++) {
    const t = T0 + f * PERIOD_US;
    const boxes: BodyBox[] = objects.map((o) => {
      const dt = PERIOD_US / 1e6;
      o.x += o.vx * dt;
      o.y += o.vy * dt;
      if (Math.abs(o.x) > 50) o.vx = -o.vx;
      if (Math.abs(o.y) > 30) o.vy = -o.vy;
      return o.ped
        ? { x: o.x, y: o.y, z: 0.9, length: 0.7, width: 0.7, height: 1.75, yawRad: 0 }
        : { x: o.x, y: o.y, z: 0.8, length: 4.5, width: 1.9, height: 1.6, yawRad: Math.atan2(o.vy, o.vx) };
    });
    const seen = boxes.map(() => rand() > 0.05);
    // Fragments at the worker's cap (256; the simulator's urban sweeps carry ~160): one on each object the
    // clusterer missed (its camera box is placed on it), the rest clutter 20–60 m around.
    const fragments: LidarFragment[] = boxes.filter((_, i) => seen[i] !== true).map((b) => ({ centroid: { x: b.x, y: b.y, z: b.z }, pointCount: 3 }));
    while (fragments.length < FRAGMENTS_PER_SWEEP) {
      const r = 20 + 40 * rand();
      const a = 2 * Math.PI * rand();
      fragments.push({ centroid: { x: r * Math.cos(a), y: r * Math.sin(a), z: 2 * rand() - 1 }, pointCount: 1 + Math.floor(4 * rand()) });
    }
    const lidar: LidarObjects = {
      rigId: 'bench', sensorId: 'lidar', seq: f, captureTimeUs: t, publishTimeUs: t, frameId: 'lidar',
      fragments,
      objects: boxes.filter((_, i) => seen[i] === true).map((b, i) => ({
        clusterId: i, centroid: { x: b.x + 0.1 * gauss(), y: b.y + 0.1 * gauss(), z: b.z }, extent: { x: b.length, y: b.width, z: b.height },
        yawRad: b.yawRad, pointCount: 40 + Math.floor(rand() * 200), meanIntensity: 0.3, classHint: b.length > 2 ? 'car' : 'pedestrian',
      })),
      inputPointCount: 100_000, noiseFraction: 0.02, reliability: 0.9,
    };
    const members: Record<string, FrameMember<FusionPayload>> = {};
    for (const camId of ['cam_front', 'cam_back']) {
      const cam = calibration.cameras.get(camId);
      if (cam === undefined) throw new Error(camId);
      const camTime = t + 20_000;
      const projection = projectIntoCamera(boxes, cam, 0, { vxBody: 0, vyBody: 0, yawRateRadS: 0 });
      const detections: CameraDetections['detections'] = [];
      projection.boxes.forEach((b, i) => {
        if (b === undefined || (projection.visibleFraction[i] ?? 0) < 0.3 || rand() < 0.1) return;
        const j = 2 * gauss();
        detections.push({ box: { xMin: b.xMin + j, yMin: b.yMin + j, xMax: b.xMax + j, yMax: b.yMax + j }, objectClass: (boxes[i]?.length ?? 0) > 2 ? 'car' : 'pedestrian', label: 'x', score: 0.5 + 0.5 * rand() });
      });
      const value: CameraDetections = {
        rigId: 'bench', sensorId: camId, seq: f, captureTimeUs: camTime, publishTimeUs: camTime, frameId: camId, imageWidth: 1600, imageHeight: 900,
        detections, quality: { blur: 0, exposure: 0, blockage: 0 }, reliability: 0.8, modelId: 'bench',
      };
      members[`camera:${camId}`] = { select: 'nearest', record: { sensorId: camId, seq: f, captureTimeUs: camTime, payload: { kind: 'camera', value } }, timeUs: camTime, offsetFromPivotUs: 20_000 };
    }
    frames.push({
      pivotInput: 'lidar', pivot: { sensorId: 'lidar', seq: f, captureTimeUs: t, payload: { kind: 'lidar', value: lidar } }, pivotTimeUs: t,
      members, presence: { lidar: 'present', 'camera:cam_front': 'present', 'camera:cam_back': 'present' }, closedBy: {}, complete: true, openedAtUs: t, emittedAtUs: t,
    });
  }
  return frames;
}

/** Baseline: the aligned frame passed through unchanged, each LIDAR object copied to an output track. */
function passThrough(frame: AlignedFrame<FusionPayload>): FusedTrack[] {
  const p = frame.pivot.payload;
  if (p.kind !== 'lidar') return [];
  return p.value.objects.map((o) => ({
    trackId: o.clusterId, state: 'tentative', position: { ...o.centroid }, extent: { ...o.extent }, yawRad: o.yawRad, velocity: { x: 0, y: 0, z: 0 },
    objectClass: o.classHint, score: 1, contributingModalities: ['lidar'], ageUs: 0,
  }));
}

/**
 * CPU time of this (the main) thread in ms, from /proc/thread-self/schedstat (nanoseconds on the CPU, exact):
 * process.cpuUsage also counts V8's helper threads (concurrent marking of the whole heap, which here holds
 * every pre-generated frame, and background compilation), so a frame's process CPU includes work done in
 * parallel on the other core. NaN where procfs is absent (not Linux). One read costs ~15 µs.
 */
const schedstatFd = existsSync('/proc/thread-self/schedstat') ? openSync('/proc/thread-self/schedstat', 'r') : -1;
const schedBuf = Buffer.alloc(128);
function threadCpuMs(): number {
  if (schedstatFd < 0) return Number.NaN;
  const n = readSync(schedstatFd, schedBuf, 0, schedBuf.length, 0);
  return Number(schedBuf.toString('latin1', 0, n).split(' ')[0]) / 1e6;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

interface Row { objects: number; frames: number; fusionCpuP50Ms: number; fusionCpuP99Ms: number; threadCpuP50Ms: number; threadCpuP99Ms: number; threadCpuP99NoGcMs: number; threadCpuMaxMs: number; processCpuP99ByRoundMs: number[]; framesWithGcShare: number; fusionCpuP99NoGcMs: number; framesOver5MsCpuShare: number; fusionP50Ms: number; fusionP99Ms: number; fusionMeanMs: number; baselineP50Ms: number; baselineP99Ms: number; baselineMeanMs: number; ratioMean: number; confirmedTracksAtEnd: number; meanCameraMatched: number; meanTracks: number; meanDetections: number }

const rows: Row[] = [];
let sink = 0;
// Garbage-collection pauses (main thread), to tell which slow frames are GC and which are the algorithm.
const gcEntries: PerformanceEntry[] = [];
const gcObserver = new PerformanceObserver((list) => { gcEntries.push(...list.getEntries()); });
gcObserver.observe({ entryTypes: ['gc'] });
for (const n of sizes) {
  const frames = scene(n);
  const fusion: number[] = [];
  const fusionCpu: number[] = [];
  const threadCpu: number[] = [];
  // Process CPU per round: it includes V8's background compilation of the core (heaviest in the first round)
  // and parallel GC work, so the rounds show how much of its tail is warm-up.
  const cpuByRound: number[][] = Array.from({ length: rounds }, () => []);
  const base: number[] = [];
  const windows: [number, number, number, number][] = []; // performance.now() start, end, process and main-thread CPU ms of each timed frame
  let confirmed = 0;
  let matched = 0;
  let trackSum = 0;
  let detSum = 0;
  for (let r = 0; r < rounds; r++) {
    let state: FusionState = createFusionState('bench');
    for (const [i, frame] of frames.entries()) {
      const s0 = threadCpuMs();
      const c0 = process.cpuUsage();
      const p0 = performance.now();
      const t0 = process.hrtime.bigint();
      const res = update(frame, calibration, state, { params: DEFAULT_FUSION_PARAMS, nowUs: frame.pivotTimeUs });
      const t1 = process.hrtime.bigint();
      const p1 = performance.now();
      const c1 = process.cpuUsage(c0);
      const s1 = threadCpuMs();
      const tracks = passThrough(frame);
      const t2 = process.hrtime.bigint();
      state = res.state;
      sink += tracks.length;
      if (i >= warmup) {
        fusion.push(Number(t1 - t0) / 1e6);
        fusionCpu.push((c1.user + c1.system) / 1000);
        threadCpu.push(s1 - s0);
        cpuByRound[r]?.push((c1.user + c1.system) / 1000);
        windows.push([p0, p1, (c1.user + c1.system) / 1000, s1 - s0]);
        base.push(Number(t2 - t1) / 1e6);
        matched += res.output.counts.cameraMatched;
        trackSum += res.output.tracks.length;
        detSum += res.output.detections.length;
      }
      if (i === frames.length - 1) confirmed = res.output.tracks.filter((t) => t.state === 'confirmed').length;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 250)); // let the observer deliver this size's GC entries
  const noGc: number[] = [];
  const threadNoGc: number[] = [];
  let withGc = 0;
  for (const [p0, p1, cpu, thread] of windows) {
    if (gcEntries.some((g) => g.startTime < p1 && g.startTime + g.duration > p0)) withGc++;
    else {
      noGc.push(cpu);
      threadNoGc.push(thread);
    }
  }
  noGc.sort((a, b) => a - b);
  threadNoGc.sort((a, b) => a - b);
  threadCpu.sort((a, b) => a - b);
  fusion.sort((a, b) => a - b);
  fusionCpu.sort((a, b) => a - b);
  base.sort((a, b) => a - b);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  rows.push({
    objects: n, frames: fusion.length, fusionCpuP50Ms: percentile(fusionCpu, 0.5), fusionCpuP99Ms: percentile(fusionCpu, 0.99),
    threadCpuP50Ms: percentile(threadCpu, 0.5), threadCpuP99Ms: percentile(threadCpu, 0.99), threadCpuP99NoGcMs: percentile(threadNoGc, 0.99), threadCpuMaxMs: threadCpu[threadCpu.length - 1] ?? Number.NaN,
    processCpuP99ByRoundMs: cpuByRound.map((c) => percentile([...c].sort((a, b) => a - b), 0.99)),
    framesWithGcShare: withGc / windows.length, fusionCpuP99NoGcMs: percentile(noGc, 0.99), framesOver5MsCpuShare: fusionCpu.filter((v) => v > 5).length / fusionCpu.length,
    fusionP50Ms: percentile(fusion, 0.5), fusionP99Ms: percentile(fusion, 0.99), fusionMeanMs: mean(fusion),
    baselineP50Ms: percentile(base, 0.5), baselineP99Ms: percentile(base, 0.99), baselineMeanMs: mean(base),
    ratioMean: mean(fusion) / mean(base), confirmedTracksAtEnd: confirmed, meanCameraMatched: matched / fusion.length, meanTracks: trackSum / fusion.length, meanDetections: detSum / fusion.length,
  });
  console.log(`${n} objects: process CPU p99 by round ${cpuByRound.map((c) => percentile([...c].sort((a, b) => a - b), 0.99).toFixed(2)).join(', ')} ms`);
  console.log(`${n} objects: main-thread CPU p50 ${percentile(threadCpu, 0.5).toFixed(3)} p99 ${percentile(threadCpu, 0.99).toFixed(3)} ms (without a GC pause ${percentile(threadNoGc, 0.99).toFixed(3)}); process CPU p50 ${percentile(fusionCpu, 0.5).toFixed(3)} p99 ${percentile(fusionCpu, 0.99).toFixed(3)} ms (frames without a GC pause: p99 ${percentile(noGc, 0.99).toFixed(3)} ms; ${(100 * withGc / windows.length).toFixed(1)} % of frames had one); wall p50 ${percentile(fusion, 0.5).toFixed(3)} ms p99 ${percentile(fusion, 0.99).toFixed(3)} ms; pass-through p50 ${percentile(base, 0.5).toFixed(4)} ms; tracks ${(trackSum / fusion.length).toFixed(1)} detections ${(detSum / fusion.length).toFixed(1)} matched ${(matched / fusion.length).toFixed(1)}`);
}

const meta = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadavg1: loadavg()[0], framesPerScene, warmup, rounds, cameras: 2, sink };
mkdirSync(resultsDir, { recursive: true });
gcObserver.disconnect();
writeFileSync(path.join(resultsDir, 'fusion.json'), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
const f = (v: number, d = 3) => v.toFixed(d);
const md = [
  '# bench/fusion: per-frame fusion cost',
  '',
  `Fusion core \`update\` (LIDAR boxes into 2 cameras with occlusion, Hungarian IoU matching, camera-only boxes placed on LIDAR fragments (${FRAGMENTS_PER_SWEEP} per sweep), late fusion, CV Kalman tracking) vs the same aligned frames passed through unchanged. ${framesPerScene} frames × ${rounds} rounds per size, first ${warmup} of each round not timed. Node ${process.version}, ${meta.cpus} CPUs (${meta.cpuModel}), load ${f(meta.loadavg1 ?? 0, 1)} (shared machine: wall time includes waiting for a core). Main-thread CPU = CPU time of the thread running \`update\` (/proc/thread-self/schedstat, includes its GC pauses); process CPU (process.cpuUsage) adds V8's helper threads (concurrent marking of the whole heap, background compilation) running in parallel.`,
  '',
  '| objects | main-thread CPU p50 ms | main-thread CPU p99 ms | main-thread CPU p99 without a GC pause ms | main-thread CPU max ms | process CPU p50 ms | process CPU p99 ms | process CPU p99 without a GC pause ms | frames with a GC pause | frames over 5 ms CPU | fusion wall p50 ms | fusion wall p99 ms | fusion mean ms | pass-through p50 ms | pass-through p99 ms | fusion / pass-through (mean) | fused objects / frame | tracks / frame | camera boxes matched / frame | confirmed tracks at end |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.objects} | ${f(r.threadCpuP50Ms)} | ${f(r.threadCpuP99Ms)} | ${f(r.threadCpuP99NoGcMs)} | ${f(r.threadCpuMaxMs)} | ${f(r.fusionCpuP50Ms)} | ${f(r.fusionCpuP99Ms)} | ${f(r.fusionCpuP99NoGcMs)} | ${f(100 * r.framesWithGcShare, 1)} % | ${f(100 * r.framesOver5MsCpuShare, 1)} % | ${f(r.fusionP50Ms)} | ${f(r.fusionP99Ms)} | ${f(r.fusionMeanMs)} | ${f(r.baselineP50Ms, 4)} | ${f(r.baselineP99Ms, 4)} | ${f(r.ratioMean, 0)} | ${f(r.meanDetections, 1)} | ${f(r.meanTracks, 1)} | ${f(r.meanCameraMatched, 1)} | ${r.confirmedTracksAtEnd} |`),
  '',
  ...rows.map((r) => `Process CPU p99 per round, ${String(r.objects)} objects (includes V8 helper threads: background compilation, heaviest in the first round, and parallel GC work): ${r.processCpuP99ByRoundMs.map((v) => f(v, 2)).join(', ')} ms.`),
  '',
  'Command: `cd services/fusion-worker && npm run bench` (or `node --conditions=source --import tsx bench/fusion/index.ts` from the repo root).',
  '',
].join('\n');
writeFileSync(path.join(resultsDir, 'fusion.md'), md);
console.log(md);
