/**
 * bench/recorder/timing: replay timing fidelity measured from the Bus side.
 *   nice -n 10 node --conditions=source --import tsx bench/recorder/timing.ts
 * Env: BENCH_PACED_SECONDS (default 60, the issue's figure); BENCH_CASES (comma list of case ids, default
 * all: floor, floor-precise, floor-low-cpu, small, small-low-cpu, lidar, lidar-precise, lidar-low-cpu,
 * lidar-inline, x10, max);
 * BENCH_MARGIN_US (precise pacing margin, default the replay's); BENCH_OUT (results file stem, default
 * recorder-timing).
 *
 * A recording of LIDAR 10 Hz (2 MB KITTI sweep), camera 30 Hz and IMU 200 Hz (~100-byte records) is
 * replayed at 1× on the system clock into a MemoryBus; a subscriber in the same process stamps each
 * arrival with performance.now(). Inter-message timing error = |arrival gap − capture gap| of
 * consecutive records (in capture order). Baseline in the same run: the same schedule slept on the
 * same clock with no reading and no Bus (the event loop's own wake-up jitter on this machine), for
 * each pacing mode ('precise': timer then a busy wait for the last margin; 'auto': precise, timers only
 * while the CPU is contended; 'low-cpu': timers only). CPU per second of replay = process CPU time (all threads) ÷ wall time of the case.
 * Paced replays read and decompress in a reader thread (default); the inline reader (on the pacing
 * thread, session 1's design) is measured next to it. Also 10× and 'max': drops and order only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { RecordingWriter, replay, SchemaCatalog, systemClock, type ChunkCompression, type PacingMode } from '@sensorfuse/recorder';
import { cameraFrameSchema, lidarScanSchema, type CameraFrame, type LidarScan } from '@sensorfuse/schemas';
import { MemoryBus } from '@sensorfuse/transport';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const outDir = path.join(repoRoot, 'bench/results');
const SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 60);
const MARGIN_US = process.env.BENCH_MARGIN_US === undefined ? undefined : Number(process.env.BENCH_MARGIN_US);
const OUT = process.env.BENCH_OUT ?? 'recorder-timing';
const CASES = new Set((process.env.BENCH_CASES ?? 'floor,floor-precise,floor-low-cpu,small,small-low-cpu,lidar,lidar-precise,lidar-low-cpu,lidar-inline,x10,max').split(','));
const T0 = 1_700_000_000_000_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-timing-'));
const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarScan>(registry, lidarScanSchema);
const cameraCodec = createCodec<CameraFrame>(registry, cameraFrameSchema);
const headers = { 'content-type': Buffer.from('application/vnd.sensorfuse.test') };
const TOPICS = ['raw.lidar', 'raw.camera', 'raw.motion'];

interface Event { readonly t: number; readonly topic: string; readonly value: Buffer }

function schedule(withLidar: boolean): Event[] {
  const kitti = path.resolve(repoRoot, '../shared/data/kitti/velodyne/000000.bin');
  const points = fs.existsSync(kitti) ? fs.readFileSync(kitti) : Buffer.alloc(120_000 * 16, 1);
  const events: Event[] = [];
  const span = SECONDS * 1e6;
  if (withLidar) {
    for (let t = 0, i = 0; t < span; t += 100_000, i++) {
      const data = Buffer.from(points);
      data.writeUInt32LE(i, 0);
      events.push({ t, topic: 'raw.lidar', value: lidarCodec.encode({ rigId: 'rig', sensorId: 'lidar', seq: i, captureTimeUs: T0 + t, publishTimeUs: T0 + t, frameId: 'lidar', fields: ['x', 'y', 'z', 'intensity'].map((name, k) => ({ name, offset: k * 4, datatype: 'float32' as const, count: 1 })), pointStride: 16, pointCount: data.length / 16, data, sweepDurationUs: 100_000 }) });
    }
  }
  for (let t = 0, i = 0; t < span; t += 33_333, i++) events.push({ t, topic: 'raw.camera', value: cameraCodec.encode({ rigId: 'rig', sensorId: 'cam', seq: i, captureTimeUs: T0 + t, publishTimeUs: T0 + t, frameId: 'cam', width: 8, height: 8, encoding: 'gray8', stride: 8, data: Buffer.alloc(64, i & 255) }) });
  for (let t = 1_000, i = 0; t < span; t += 5_000, i++) events.push({ t, topic: 'raw.motion', value: cameraCodec.encode({ rigId: 'rig', sensorId: 'imu', seq: i, captureTimeUs: T0 + t, publishTimeUs: T0 + t, frameId: 'imu', width: 4, height: 4, encoding: 'gray8', stride: 4, data: Buffer.alloc(16, i & 255) }) });
  return events.sort((a, b) => a.t - b.t);
}

async function writeRecording(events: readonly Event[], compression: ChunkCompression, file: string): Promise<void> {
  const writer = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), compression });
  for (const e of events) await writer.add({ topic: e.topic, key: Buffer.from('rig'), headers, value: e.value, timestampUs: 0 });
  await writer.close();
}

const pct = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] ?? NaN;
};

/** CPU seconds (all threads of the process) per wall second while `f` runs, and the 1-min load around it. */
async function measured(f: () => Promise<Record<string, number>>): Promise<Record<string, number>> {
  const load0 = os.loadavg()[0] ?? NaN;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await f();
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  return { ...result, cpuPerSecond: (cpu.user + cpu.system) / 1e6 / wall, loadAvg1mStart: load0, loadAvg1mEnd: os.loadavg()[0] ?? NaN };
}

/** The floor: the same due times slept on the same clock, nothing else running. */
async function baseline(events: readonly Event[], pacing: PacingMode): Promise<Record<string, number>> {
  const clock = systemClock({ pacing, marginUs: MARGIN_US });
  const start = clock.nowUs() + 20_000;
  const late: number[] = [];
  const gaps: number[] = [];
  let prev: number | undefined;
  let prevT = 0;
  for (const e of events) {
    const due = start + e.t;
    await clock.sleepUntilUs(due);
    const now = performance.now() * 1000;
    late.push(now - due);
    if (prev !== undefined) gaps.push(Math.abs(now - prev - (e.t - prevT)));
    prev = now;
    prevT = e.t;
  }
  return { messages: events.length, lateP50Us: pct(late, 0.5), lateP99Us: pct(late, 0.99), interArrivalErrorP50Us: pct(gaps, 0.5), interArrivalErrorP99Us: pct(gaps, 0.99), interArrivalErrorMaxUs: Math.max(...gaps), pacingBackOffs: clock.governor?.backOffs ?? 0 };
}

async function replayCase(events: readonly Event[], file: string, rate: number | 'max', reader: 'thread' | 'inline' = 'thread', pacing?: PacingMode): Promise<Record<string, number>> {
  const bus = new MemoryBus();
  await bus.admin.createTopics(TOPICS.map((topic) => ({ topic, partitions: 1, maxMessageBytes: 16 << 20 })));
  const arrivals: { atUs: number; captureUs: number; topic: string }[] = [];
  const catalog = new SchemaCatalog();
  const sub = bus.subscribe({ groupId: 'timing', topics: TOPICS, highWaterMark: Infinity, highWaterMarkBytes: Infinity }).subscribe((r) => {
    arrivals.push({ atUs: performance.now() * 1000, captureUs: catalog.lookupValue(r.value)?.timeOf(r.value) ?? NaN, topic: r.topic });
  });
  await new Promise((r) => setTimeout(r, 50));
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  // Garbage-collector pauses on this thread (the MemoryBus keeps every replayed value alive).
  const gc = { pauses: 0, totalMs: 0, maxMs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.pauses += 1;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const t = performance.now();
  const stats = await replay({ bus, files: file, rate, reader, pacing, pacingMarginUs: MARGIN_US }).done;
  const wallS = (performance.now() - t) / 1000;
  loopDelay.disable();
  gcObserver.disconnect();
  await new Promise((r) => setTimeout(r, 100));
  sub.unsubscribe();
  await bus.close();
  // order per topic (the Bus orders within a topic partition; a subscriber of several topics may
  // get records published in one event-loop turn grouped by topic)
  let outOfOrder = 0;
  const lastByTopic = new Map<string, number>();
  for (const a of arrivals) {
    if (a.captureUs < (lastByTopic.get(a.topic) ?? -Infinity)) outOfOrder++;
    lastByTopic.set(a.topic, a.captureUs);
  }
  // timing: consecutive records of the recording (capture order) against their capture gap
  arrivals.sort((a, b) => a.captureUs - b.captureUs || a.atUs - b.atUs);
  const gaps = arrivals.slice(1).map((a, i) => Math.abs(a.atUs - (arrivals[i]?.atUs ?? 0) - ((a.captureUs - (arrivals[i]?.captureUs ?? 0)) / (rate === 'max' ? Infinity : rate))));
  // where the error is: gaps that start or end at a LIDAR sweep vs the others
  const nearLidar = (i: number): boolean => arrivals[i]?.topic === 'raw.lidar' || arrivals[i + 1]?.topic === 'raw.lidar';
  const lidarGaps = gaps.filter((_, i) => nearLidar(i));
  const otherGaps = gaps.filter((_, i) => !nearLidar(i));
  const base = { messages: events.length, received: arrivals.length, drops: events.length - arrivals.length, outOfOrder, wallS };
  if (rate === 'max') return base;
  return {
    ...base,
    reanchors: stats.reanchors,
    pacingBackOffs: stats.pacingBackOffs,
    schedulerLagP50Us: stats.lagP50Us,
    schedulerLagP99Us: stats.lagP99Us,
    interArrivalErrorP50Us: pct(gaps, 0.5),
    interArrivalErrorP99Us: pct(gaps, 0.99),
    interArrivalErrorMaxUs: Math.max(...gaps),
    ...(lidarGaps.length > 0 ? { interArrivalErrorP99AtLidarUs: pct(lidarGaps, 0.99), interArrivalErrorP99OthersUs: pct(otherGaps, 0.99) } : {}),
    eventLoopDelayP99Us: loopDelay.percentile(99) / 1000,
    gcPauses: gc.pauses,
    gcPauseTotalMs: gc.totalMs,
    gcPauseMaxMs: gc.maxMs,
  };
}

const cases: { label: string; result: Record<string, number> }[] = [];
const small = schedule(false);
const mixed = schedule(true);
const smallFile = path.join(tmp, 'small.mcap');
const mixedFile = path.join(tmp, 'mixed.mcap');
await writeRecording(small, 'zstd', smallFile);
await writeRecording(mixed, 'zstd', mixedFile);
const run = async (id: string, label: string, f: () => Promise<Record<string, number>>): Promise<void> => {
  if (!CASES.has(id)) return;
  const result = await measured(f);
  console.log(label, JSON.stringify(result));
  cases.push({ label, result });
};
await run('floor', "floor: the schedule slept alone, 'auto' (camera 30 Hz + IMU 200 Hz)", () => baseline(small, 'auto'));
await run('floor-precise', "floor: slept alone, 'precise'", () => baseline(small, 'precise'));
await run('floor-low-cpu', "floor: slept alone, 'low-cpu'", () => baseline(small, 'low-cpu'));
await run('small', "replay 1×, camera 30 Hz + IMU 200 Hz, zstd, 'auto' (default)", () => replayCase(small, smallFile, 1, 'thread'));
await run('small-low-cpu', "replay 1×, camera + IMU, 'low-cpu'", () => replayCase(small, smallFile, 1, 'thread', 'low-cpu'));
await run('lidar', "replay 1×, + LIDAR 10 Hz 2 MB, zstd, reader thread, 'auto' (default)", () => replayCase(mixed, mixedFile, 1, 'thread'));
await run('lidar-precise', "replay 1×, + LIDAR, 'precise'", () => replayCase(mixed, mixedFile, 1, 'thread', 'precise'));
await run('lidar-low-cpu', "replay 1×, + LIDAR, 'low-cpu'", () => replayCase(mixed, mixedFile, 1, 'thread', 'low-cpu'));
await run('lidar-inline', "replay 1×, + LIDAR, inline reader, 'auto'", () => replayCase(mixed, mixedFile, 1, 'inline'));
await run('x10', 'replay 10×, + LIDAR, zstd (default: low-cpu)', () => replayCase(mixed, mixedFile, 10));
await run('max', "replay 'max', + LIDAR, zstd", () => replayCase(mixed, mixedFile, 'max'));
fs.rmSync(tmp, { recursive: true, force: true });

const meta = { command: 'nice -n 10 node --conditions=source --import tsx bench/recorder/timing.ts', date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, loadAvg1m: os.loadavg()[0], seconds: SECONDS, marginUs: MARGIN_US ?? 'default', cases: [...CASES].join(',') };
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.resolve(outDir, `${OUT}.json`), `${JSON.stringify({ meta, cases }, null, 2)}\n`);
const keys = [...new Set(cases.flatMap((c) => Object.keys(c.result)))];
const md = [
  '# bench/recorder/timing',
  '',
  `\`${meta.command}\` — ${meta.date}, Node ${meta.node}, ${meta.cpu} (${String(meta.cores)} cores, 1-min load ${(meta.loadAvg1m ?? 0).toFixed(2)}), ${String(SECONDS)} s recordings.`,
  '',
  'Bus side: a MemoryBus subscriber in the same process stamps arrivals; inter-arrival error = |arrival gap − capture gap / rate| of consecutive records. µs unless named otherwise.',
  '',
  `| figure | ${cases.map((c) => c.label).join(' | ')} |`,
  `|---|${cases.map(() => '---:').join('|')}|`,
  ...keys.map((k) => `| ${k} | ${cases.map((c) => (c.result[k] === undefined ? '' : k === 'wallS' || k.startsWith('loadAvg') || k === 'cpuPerSecond' ? (c.result[k] ?? 0).toFixed(2) : String(Math.round(c.result[k] ?? NaN)))).join(' | ')} |`),
  '',
].join('\n');
fs.writeFileSync(path.resolve(outDir, `${OUT}.md`), md);
console.log(md);
