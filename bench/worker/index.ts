/**
 * Worker overhead: records/s of the lidar and motion workers on MemoryBus (subscribe, decode,
 * validate, core, encode, publish, commit, span, metrics) against, in the same run and on the same
 * inputs, (a) the bare core on already-decoded records and (b) decode + core. Rounds are
 * interleaved and the median is reported (the machine is shared).
 * Results: bench/results/worker.json and worker.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry, createCodec, type Codec } from '@sensorfuse/codec';
import { DEFAULT_CIRCLE_DRIVE, simulateCircleDrive } from '@sensorfuse/filters';
import { LidarCore, createLidarWorker, lidarParams, loadLidarConfig } from '@sensorfuse/lidar-worker';
import { MotionCore, createMotionWorker, loadMotionConfig, motionCoreOptions } from '@sensorfuse/motion-worker';
import { lidarScanSchema, motionSampleSchema, type LidarScan, type MotionSample } from '@sensorfuse/schemas';
import { MemoryBus, decodeOrDeadLetter } from '@sensorfuse/transport';
import { concatMap, from, lastValueFrom, take } from 'rxjs';
import type { Worker } from '@sensorfuse/worker';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const resultsDir = path.resolve(here, '../results');
const kittiDir = path.resolve(repoRoot, '../shared/data/kitti/velodyne');
const rounds = Number(process.env.BENCH_WORKER_ROUNDS ?? 5);
const sweeps = Number(process.env.BENCH_WORKER_SWEEPS ?? 10);
const motionSeconds = Number(process.env.BENCH_WORKER_MOTION_SECONDS ?? 10);
const T0 = 1_767_225_600_000_000;

// ---- inputs ----
const registry = new SchemaRegistry();
const scanCodec = createCodec<LidarScan>(registry, lidarScanSchema);
const sampleCodec = createCodec<MotionSample>(registry, motionSampleSchema);

const kittiFrames = ['000000', '000001'].filter((f) => existsSync(path.join(kittiDir, `${f}.bin`)));
if (kittiFrames.length === 0) {
  console.error('bench/worker needs ../shared/data/kitti (KITTI velodyne frames); absent');
  process.exit(1);
}
const scans: LidarScan[] = Array.from({ length: sweeps }, (_, i) => {
  const data = readFileSync(path.join(kittiDir, `${kittiFrames[i % kittiFrames.length] ?? ''}.bin`));
  return {
    rigId: 'rig-1',
    sensorId: 'velo_top',
    seq: i,
    captureTimeUs: T0 + i * 100_000,
    publishTimeUs: T0 + i * 100_000 + 2_000,
    frameId: 'velo_top',
    fields: ['x', 'y', 'z', 'intensity'].map((name, k) => ({ name, offset: 4 * k, datatype: 'float32' as const, count: 1 })),
    pointStride: 16,
    pointCount: data.length / 16,
    data,
    sweepDurationUs: 100_000,
  };
});
const scanBytes = scans.map((s) => scanCodec.encode(s));

// 200 Hz IMU (the magnetometer reading rides on the next IMU record, as on the wire) + 10 Hz GNSS.
const drive = simulateCircleDrive({ ...DEFAULT_CIRCLE_DRIVE, startUs: T0, durationS: motionSeconds, imuRateHz: 200 });
const motion: MotionSample[] = [];
let pendingMag: { x: number; y: number; z: number } | null = null;
let seq = 0;
for (const s of drive.samples) {
  const header = { rigId: 'rig-1', sensorId: s.kind === 'gnss' ? 'gnss0' : 'imu0', seq: seq++, captureTimeUs: s.captureTimeUs, publishTimeUs: s.captureTimeUs + 500, frameId: 'imu0' };
  if (s.kind === 'mag') pendingMag = { x: s.fieldBody[0], y: s.fieldBody[1], z: s.fieldBody[2] };
  else if (s.kind === 'imu') {
    const [gx, gy, gz] = s.gyroRadS;
    const [ax, ay, az] = s.accelMS2;
    motion.push({ ...header, payload: { 'sensorfuse.ImuSample': { linearAcceleration: { x: ax, y: ay, z: az }, angularVelocity: { x: gx, y: gy, z: gz }, magneticField: pendingMag, orientation: null } } });
    pendingMag = null;
  } else {
    const h = s.horizontalStdM ** 2;
    motion.push({
      ...header,
      payload: { 'sensorfuse.GnssFix': { latitudeDeg: s.latDeg, longitudeDeg: s.lonDeg, altitudeM: s.heightM, positionCovariance: [h, 0, 0, 0, h, 0, 0, 0, s.verticalStdM ** 2], covarianceType: 'diagonal_known', fixType: 'fix' } },
    });
  }
}
const motionBytes = motion.map((s) => sampleCodec.encode(s));

// ---- contenders ----
const lidarConfig = loadLidarConfig({});
const motionConfig = loadMotionConfig({});
const newLidarCore = () => new LidarCore({ params: lidarParams(lidarConfig.lidar), truckMinLengthM: lidarConfig.lidar.box.truckMinLengthM, emptyScan: lidarConfig.lidar.emptyScan, nowUs: () => T0 });
const newMotionCore = () => new MotionCore(motionCoreOptions(motionConfig, () => T0));

function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function bareCore<T>(inputs: readonly T[], make: () => { update(x: T): unknown[] }): number {
  return timeMs(() => {
    const core = make();
    for (const x of inputs) core.update(x);
  });
}

function decodeAndCore<T>(bytes: readonly Buffer[], codec: Codec<T>, make: () => { update(x: T): unknown[] }): number {
  return timeMs(() => {
    const core = make();
    for (const b of bytes) core.update(codec.decode(b));
  });
}

async function onWorker(bytes: readonly Buffer[], topics: { input: string; output: string }, make: (bus: MemoryBus) => Worker): Promise<number> {
  const bus = new MemoryBus();
  await bus.admin.createTopics([
    { topic: topics.input, partitions: 1 },
    { topic: topics.output, partitions: 1 },
  ]);
  await bus.publish(topics.input, bytes.map((value) => ({ key: 'rig-1', value })));
  const worker = make(bus);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    worker.start(reject);
    const poll = (): void => {
      const s = worker.stats();
      if (s.processed + s.deadLettered >= bytes.length) resolve();
      else setTimeout(poll, 1);
    };
    poll();
  });
  const ms = performance.now() - t0;
  const stats = worker.stats();
  await worker.drain();
  await bus.close();
  if (stats.deadLettered > 0) throw new Error(`unexpected dead letters: ${JSON.stringify(stats.deadLetterReasons)}`);
  return ms;
}

/** The transport floor: the same records through MemoryBus → decodeOrDeadLetter (no decode) → publish → commit, no core. */
async function passThrough(bytes: readonly Buffer[]): Promise<number> {
  const bus = new MemoryBus();
  await bus.admin.createTopics([
    { topic: 'in', partitions: 1 },
    { topic: 'out', partitions: 1 },
  ]);
  await bus.publish('in', bytes.map((value) => ({ key: 'rig-1', value })));
  const t0 = performance.now();
  await lastValueFrom(
    bus.subscribe({ groupId: 'pass', topics: ['in'], fromBeginning: true }).pipe(
      decodeOrDeadLetter({ bus, decode: (record) => record.value }),
      concatMap((d) =>
        from(
          (async () => {
            await bus.publish('out', [{ key: 'rig-1', value: d.value }]);
            await d.commit();
          })(),
        ),
      ),
      take(bytes.length),
    ),
  );
  const ms = performance.now() - t0;
  await bus.close();
  return ms;
}

interface Row {
  readonly run: string;
  readonly ms: number[];
}
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

const lidarRows: Row[] = [{ run: 'bare core (decoded LidarScan)', ms: [] }, { run: 'decode + core', ms: [] }, { run: 'worker on MemoryBus', ms: [] }, { run: 'transport floor: MemoryBus pass-through, no core', ms: [] }];
const motionRows: Row[] = [{ run: 'bare core (decoded MotionSample)', ms: [] }, { run: 'decode + core', ms: [] }, { run: 'worker on MemoryBus', ms: [] }, { run: 'transport floor: MemoryBus pass-through, no core', ms: [] }];
const decodedMotion = motionBytes.map((b) => sampleCodec.decode(b));
const decodedScans = scanBytes.map((b) => scanCodec.decode(b));

// Warm-up, untimed: two full worker runs each (the first runs of a fresh process pay for JIT
// compilation of the codec, filter and rxjs paths: ~3x slower per record, measured).
for (let w = 0; w < 2; w++) {
  await onWorker(scanBytes.slice(0, 4), { input: 'raw.lidar', output: 'obs.lidar' }, (bus) => createLidarWorker(bus, lidarConfig, { nowUs: () => T0, registry }));
  await onWorker(motionBytes, { input: 'raw.motion', output: 'obs.motion' }, (bus) => createMotionWorker(bus, motionConfig, { nowUs: () => T0, registry }));
  await passThrough(motionBytes);
  decodeAndCore(motionBytes, sampleCodec, newMotionCore);
}

// The contenders run in a different order each round, so the garbage one leaves behind (collected
// during the next) does not always land on the same one.
const contenders: (() => Promise<void>)[] = [
  () => Promise.resolve(void lidarRows[0]?.ms.push(bareCore(decodedScans, newLidarCore))),
  () => Promise.resolve(void lidarRows[1]?.ms.push(decodeAndCore(scanBytes, scanCodec, newLidarCore))),
  async () => { lidarRows[2]?.ms.push(await onWorker(scanBytes, { input: 'raw.lidar', output: 'obs.lidar' }, (bus) => createLidarWorker(bus, lidarConfig, { nowUs: () => T0, registry }))); },
  async () => { lidarRows[3]?.ms.push(await passThrough(scanBytes)); },
  () => Promise.resolve(void motionRows[0]?.ms.push(bareCore(decodedMotion, newMotionCore))),
  () => Promise.resolve(void motionRows[1]?.ms.push(decodeAndCore(motionBytes, sampleCodec, newMotionCore))),
  async () => { motionRows[2]?.ms.push(await onWorker(motionBytes, { input: 'raw.motion', output: 'obs.motion' }, (bus) => createMotionWorker(bus, motionConfig, { nowUs: () => T0, registry }))); },
  async () => { motionRows[3]?.ms.push(await passThrough(motionBytes)); },
];
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < contenders.length; i++) await contenders[(i + 3 * r) % contenders.length]?.();
}

function summarise(rows: Row[], records: number) {
  const base = median(rows[0]?.ms ?? []);
  return rows.map((row) => {
    const ms = median(row.ms);
    return { run: row.run, medianMs: Number(ms.toFixed(2)), recordsPerS: Number(((records * 1000) / ms).toFixed(1)), vsBareCore: Number((ms / base).toFixed(3)), roundsMs: row.ms.map((x) => Number(x.toFixed(2))) };
  });
}

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  loadavg1: Number((loadavg()[0] ?? 0).toFixed(1)),
  rounds,
  lidar: { records: scans.length, points: scans.reduce((n, s) => n + s.pointCount, 0), frames: kittiFrames, runs: summarise(lidarRows, scans.length) },
  motion: { records: motion.length, simulatedSeconds: motionSeconds, runs: summarise(motionRows, motion.length) },
};

const table = (runs: ReturnType<typeof summarise>) =>
  ['| run | median time (ms) | records/s | time ÷ bare core |', '|---|---:|---:|---:|', ...runs.map((r) => `| ${r.run} | ${r.medianMs} | ${r.recordsPerS} | ${r.vsBareCore} |`)].join('\n');
const md = `# bench/worker

Median of ${rounds} interleaved rounds (order rotated per round), Node ${result.node}, ${result.cpu}, 1-min load average ${result.loadavg1} (shared 2-core machine).

## lidar-worker: ${result.lidar.records} KITTI sweeps (${result.lidar.frames.join(', ')}, ${result.lidar.points} points in all)

${table(result.lidar.runs)}

## motion-worker: ${result.motion.records} MotionSample records (${motionSeconds} s circle drive: IMU 200 Hz with magnetometer, GNSS 10 Hz)

${table(result.motion.runs)}

"worker on MemoryBus" = subscribe, Avro decode, common-field validation, core, Avro encode, publish,
commit, a span and the metrics per record, timed from \`worker.start()\` until every record is committed.

Command: \`node --conditions=source --import tsx bench/worker/index.ts\` (or \`npm run bench -w @sensorfuse/worker\`).
`;
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'worker.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(path.join(resultsDir, 'worker.md'), md);
console.log(md);
