/**
 * bench/recorder/timing: replay timing fidelity measured from the Bus side.
 *   nice -n 10 node --conditions=source --import tsx bench/recorder/timing.ts
 * Env: BENCH_PACED_SECONDS (default 60, the issue's figure); BENCH_CASES (comma list of case ids, default
 * all: floor, floor-precise, floor-low-cpu, small, small-low-cpu, lidar, lidar-precise, lidar-low-cpu,
 * lidar-inline, x10, max, and the session-3 cases: floor-precise-prio, small-prio, small-thread, small-thread-prio,
 * lidar-prio, kafka-small, kafka-small-prio — "prio": the pacing thread at nice BENCH_PRIORITY (default −10); "thread":
 * the receiver in a worker thread; "kafka": the dev broker (KAFKA_BROKERS, default 127.0.0.1:19092), a LogAppendTime
 * topic, the receiver in another process); "-rt" cases (floor-precise-rt, floor-low-cpu-rt, small-rt, small-low-cpu-rt,
 * small-thread-rt, kafka-small-rt, lidar-rt, lidar-low-cpu-rt): the pacing thread under SCHED_FIFO BENCH_RT_PRIORITY
 * (default 10; the replay's realtimePriority); lidar-rt-ret1s: lidar-rt with a MemoryBus that keeps 1 s instead of 60 s;
 * BENCH_MARGIN_US (precise pacing margin, default the replay's); BENCH_OUT (results file stem, default
 * recorder-timing).
 *
 * A recording of LIDAR 10 Hz (2 MB KITTI sweep), camera 30 Hz and IMU 200 Hz (~100-byte records) is
 * replayed at 1× on the system clock into a MemoryBus. Two stamps per record: when it ENTERS the bus (the
 * MemoryBus append time, on a performance.now() clock: the Bus-side time, what a broker's LogAppendTime is for
 * Kafka) and when the subscriber's callback gets it (same process and thread unless the case says otherwise, so
 * its own event-loop and GC delays count). Inter-message timing error = |stamp gap − capture gap| of
 * consecutive records (in capture order), for each stamp. The worst 1 % of gaps are analysed: when they happen,
 * whether a GC pause of the pacing thread overlaps them, whether they cluster. Baseline in the same run: the same schedule slept on the
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
import { spawn } from 'node:child_process';
import { PerformanceObserver, monitorEventLoopDelay, type PerformanceEntry } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import kafkajs from 'kafkajs';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { RecordingWriter, raiseThreadPriority, raiseThreadToRealtime, replay, SchemaCatalog, systemClock, type ChunkCompression, type PacingMode } from '@sensorfuse/recorder';
import { cameraFrameSchema, lidarScanSchema, type CameraFrame, type LidarScan } from '@sensorfuse/schemas';
import { KafkaBus, MemoryBus, type Bus, type OutgoingRecord } from '@sensorfuse/transport';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const outDir = path.join(repoRoot, 'bench/results');
const SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 60);
const MARGIN_US = process.env.BENCH_MARGIN_US === undefined ? undefined : Number(process.env.BENCH_MARGIN_US);
const OUT = process.env.BENCH_OUT ?? 'recorder-timing';
const CASES = new Set((process.env.BENCH_CASES ?? 'floor,floor-precise,floor-low-cpu,small,small-low-cpu,lidar,lidar-precise,lidar-low-cpu,lidar-inline,x10,max').split(','));
const NICE_AT_START = os.getPriority(0);
const PRIORITY = Number(process.env.BENCH_PRIORITY ?? -10);
const RT = Number(process.env.BENCH_RT_PRIORITY ?? 10);
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
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

/** GC pauses of this thread (performance timeline, µs) while a case runs. */
function gcRecorder(): { readonly pauses: { startUs: number; endUs: number; kind: number }[]; stop(): void } {
  const pauses: { startUs: number; endUs: number; kind: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ startUs: e.startTime * 1000, endUs: (e.startTime + e.duration) * 1000, kind: (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0 });
  });
  observer.observe({ entryTypes: ['gc'] });
  return { pauses, stop: () => { observer.disconnect(); } };
}

const gcFigures = (pauses: readonly { startUs: number; endUs: number; kind: number }[]): Record<string, number> => {
  const d = pauses.map((p) => (p.endUs - p.startUs) / 1000);
  // perf_hooks kinds: 1 minor (scavenge), 2 major (mark-compact), 4 incremental, 8 weak callbacks
  return { gcPauses: d.length, gcPauseTotalMs: d.reduce((a, b) => a + b, 0), gcPauseMaxMs: d.length === 0 ? 0 : Math.max(...d), gcMinor: pauses.filter((p) => p.kind === 1).length, gcMajor: pauses.filter((p) => p.kind === 2).length };
};

interface Gap { readonly fromUs: number; readonly toUs: number; readonly errUs: number; readonly lateUs?: number }

/** One line per analysed stamp: where the worst 1 % of gaps are (kept in the JSON, summarised in the markdown). */
const analyses: { label: string; stamp: string; analysis: Record<string, unknown> }[] = [];

/**
 * The worst 1 % of gaps: how many overlap a GC pause of the pacing thread, how they group into episodes
 * (worst gaps less than 20 ms apart: one late wake-up spoils the gap before and after it), how the episodes
 * are spaced (periodic → small coefficient of variation) and spread over the run (per 10 s window).
 */
function worstOnePercent(gaps: readonly Gap[], gc: readonly { startUs: number; endUs: number; kind: number }[], originUs: number): Record<string, unknown> {
  if (gaps.length === 0) return {};
  // no common timeline (Kafka: broker and another process): no GC correlation, times from the first gap
  if (Number.isNaN(originUs)) return worstOnePercent(gaps, [], gaps[0]?.fromUs ?? 0);
  const threshold = pct(gaps.map((g) => g.errUs), 0.99);
  const worst = gaps.filter((g) => g.errUs >= threshold).sort((a, b) => a.toUs - b.toUs);
  const overlapsGc = (g: Gap): boolean => gc.some((p) => p.startUs < g.toUs && p.endUs > g.fromUs - 200);
  const episodes: { startUs: number; endUs: number; maxErrUs: number; gc: boolean; n: number }[] = [];
  for (const g of worst) {
    const last = episodes[episodes.length - 1];
    if (last !== undefined && g.fromUs - last.endUs < 20_000) {
      last.endUs = g.toUs;
      last.maxErrUs = Math.max(last.maxErrUs, g.errUs);
      last.gc ||= overlapsGc(g);
      last.n++;
    } else episodes.push({ startUs: g.fromUs, endUs: g.toUs, maxErrUs: g.errUs, gc: overlapsGc(g), n: 1 });
  }
  const intervals = episodes.slice(1).map((e, i) => (e.startUs - (episodes[i]?.startUs ?? 0)) / 1e6);
  const mean = intervals.reduce((a, b) => a + b, 0) / Math.max(1, intervals.length);
  const sd = Math.sqrt(intervals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, intervals.length));
  const span = (gaps[gaps.length - 1]?.toUs ?? originUs) - originUs;
  const windows = Array.from({ length: Math.max(1, Math.ceil(span / 10e6)) }, () => 0);
  for (const e of episodes) {
    const w = Math.min(windows.length - 1, Math.floor((e.startUs - originUs) / 10e6));
    windows[w] = (windows[w] ?? 0) + 1;
  }
  const late = worst.filter((g) => g.lateUs !== undefined);
  return {
    p99ThresholdUs: Math.round(threshold),
    worstGaps: worst.length,
    worstWithGcPct: Math.round((100 * worst.filter(overlapsGc).length) / worst.length),
    // the later stamp of the gap was itself late by more than half the threshold (a late wake-up, not an early one)
    worstLateWakePct: late.length === 0 ? undefined : Math.round((100 * late.filter((g) => (g.lateUs ?? 0) > threshold / 2).length) / late.length),
    episodes: episodes.length,
    episodesWithGc: episodes.filter((e) => e.gc).length,
    gapsPerEpisodeMean: Number((worst.length / Math.max(1, episodes.length)).toFixed(2)),
    episodeIntervalP50S: Number(pct(intervals, 0.5).toFixed(3)),
    episodeIntervalCv: Number((sd / (mean || 1)).toFixed(2)),
    episodesPer10s: windows,
    top: [...episodes].sort((a, b) => b.maxErrUs - a.maxErrUs).slice(0, 6).map((e) => `${((e.startUs - originUs) / 1e6).toFixed(2)} s: ${String(Math.round(e.maxErrUs))} µs${e.gc ? ' (GC)' : ''}`),
  };
}

/** The floor: the same due times slept on the same clock, nothing else running. */
async function baseline(label: string, events: readonly Event[], pacing: PacingMode, priority?: number, realtimePriority?: number): Promise<Record<string, number>> {
  const clock = systemClock({ pacing, marginUs: MARGIN_US });
  const raised = priority === undefined ? undefined : raiseThreadPriority(priority);
  const realtime = realtimePriority === undefined ? undefined : raiseThreadToRealtime(realtimePriority);
  const gc = gcRecorder();
  const start = clock.nowUs() + 20_000;
  const late: number[] = [];
  const gaps: Gap[] = [];
  let prev: number | undefined;
  let prevT = 0;
  try {
    for (const e of events) {
      const due = start + e.t;
      await clock.sleepUntilUs(due);
      const now = performance.now() * 1000;
      late.push(now - due);
      if (prev !== undefined) gaps.push({ fromUs: prev, toUs: now, errUs: Math.abs(now - prev - (e.t - prevT)), lateUs: now - due });
      prev = now;
      prevT = e.t;
    }
  } finally {
    realtime?.restore();
    raised?.restore();
    gc.stop();
  }
  analyses.push({ label, stamp: 'wake-up', analysis: worstOnePercent(gaps, gc.pauses, start) });
  const errs = gaps.map((g) => g.errUs);
  return {
    messages: events.length, lateP50Us: pct(late, 0.5), lateP99Us: pct(late, 0.99), interArrivalErrorP50Us: pct(errs, 0.5), interArrivalErrorP99Us: pct(errs, 0.99), interArrivalErrorMaxUs: Math.max(...errs),
    pacingBackOffs: clock.governor?.backOffs ?? 0, ...(priority === undefined ? {} : { priorityApplied: raised?.applied === true ? 1 : 0 }), ...(realtime === undefined ? {} : { realtimeApplied: realtime.applied ? 1 : 0 }), ...gcFigures(gc.pauses),
  };
}

interface Arrival { readonly atUs: number; readonly busUs: number; readonly captureUs: number; readonly topic: string }

/** Timing figures of one stamp (`atUs` arrival at the receiver, `busUs` entry into the bus) over arrivals in capture order. */
function stampFigures(prefix: string, arrivals: readonly Arrival[], stampOf: (a: Arrival) => number, rate: number): { figures: Record<string, number>; gaps: Gap[] } {
  const gaps: Gap[] = [];
  const near: boolean[] = [];
  for (let i = 1; i < arrivals.length; i++) {
    const a = arrivals[i];
    const b = arrivals[i - 1];
    if (a === undefined || b === undefined) continue;
    const from = stampOf(b);
    const to = stampOf(a);
    gaps.push({ fromUs: from, toUs: to, errUs: Math.abs(to - from - (a.captureUs - b.captureUs) / rate) });
    near.push(a.topic === 'raw.lidar' || b.topic === 'raw.lidar');
  }
  const errs = gaps.map((g) => g.errUs);
  const atLidar = errs.filter((_, i) => near[i] === true);
  const others = errs.filter((_, i) => near[i] !== true);
  return {
    gaps,
    figures: {
      [`${prefix}ErrorP50Us`]: pct(errs, 0.5),
      [`${prefix}ErrorP99Us`]: pct(errs, 0.99),
      [`${prefix}ErrorMaxUs`]: errs.length === 0 ? NaN : Math.max(...errs),
      ...(atLidar.length > 0 ? { [`${prefix}ErrorP99AtLidarUs`]: pct(atLidar, 0.99), [`${prefix}ErrorP99OthersUs`]: pct(others, 0.99) } : {}),
    },
  };
}

/**
 * A Bus whose records are received in another thread: each publish goes into a MemoryBus (the same work on
 * the pacing thread as the default case) and a small message — topic, capture time, the entry stamp — is
 * posted to a worker thread, which stamps its arrival there (its own event loop and GC, not the pacer's).
 */
class ThreadReceiverBus {
  readonly inner: MemoryBus;
  readonly worker: Worker;
  readonly #catalog = new SchemaCatalog();
  constructor() {
    this.inner = new MemoryBus({ nowUs: () => performance.now() * 1000 });
    this.worker = new Worker(String.raw`
      const { parentPort } = require('node:worker_threads');
      const rows = [];
      parentPort.on('message', (m) => {
        if (m === 'done') { parentPort.postMessage(rows); return; }
        rows.push((performance.timeOrigin + performance.now()) * 1000, m[0], m[1], m[2]);
      });`, { eval: true });
  }
  get bus(): Bus {
    const inner = this.inner;
    return {
      admin: inner.admin,
      subscribe: (o) => inner.subscribe(o),
      transaction: () => inner.transaction(),
      close: () => inner.close(),
      publish: async (topic: string, records: readonly OutgoingRecord[]) => {
        await inner.publish(topic, records);
        const busUs = performance.now() * 1000;
        for (const r of records) this.worker.postMessage([TOPICS.indexOf(topic), this.#catalog.lookupValue(r.value)?.timeOf(r.value) ?? NaN, busUs]);
      },
    };
  }
  async arrivals(): Promise<Arrival[]> {
    const rows = await new Promise<number[]>((resolve) => {
      this.worker.once('message', resolve);
      this.worker.postMessage('done');
    });
    await this.worker.terminate();
    // the worker's performance.now() has its own origin: its stamps come as absolute times, put on this thread's timeline
    const origin = performance.timeOrigin * 1000;
    const out: Arrival[] = [];
    for (let i = 0; i + 3 < rows.length; i += 4) out.push({ atUs: (rows[i] ?? NaN) - origin, topic: TOPICS[rows[i + 1] ?? 0] ?? '?', captureUs: rows[i + 2] ?? NaN, busUs: rows[i + 3] ?? NaN });
    return out;
  }
}

interface CaseOptions {
  readonly reader?: 'thread' | 'inline';
  readonly pacing?: PacingMode;
  readonly priority?: number;
  readonly realtime?: number;
  readonly receiver?: 'same' | 'thread';
  /** MemoryBus retention (default the bus's 60 s / 512 MiB: it holds ~25 s of 2 MB sweeps in this process). */
  readonly retentionMs?: number;
}

async function replayCase(label: string, events: readonly Event[], file: string, rate: number | 'max', o: CaseOptions = {}): Promise<Record<string, number>> {
  const threadReceiver = o.receiver === 'thread' ? new ThreadReceiverBus() : undefined;
  // the entry stamp: MemoryBus stamps each append with nowUs (its record timestamp), here a performance.now() clock
  const memory = threadReceiver?.inner ?? new MemoryBus({ nowUs: () => performance.now() * 1000, ...(o.retentionMs === undefined ? {} : { retentionMs: o.retentionMs }) });
  const bus = threadReceiver?.bus ?? memory;
  await bus.admin.createTopics(TOPICS.map((topic) => ({ topic, partitions: 1, maxMessageBytes: 16 << 20 })));
  const arrivals: Arrival[] = [];
  const catalog = new SchemaCatalog();
  const sub = threadReceiver !== undefined ? undefined : bus.subscribe({ groupId: 'timing', topics: TOPICS, highWaterMark: Infinity, highWaterMarkBytes: Infinity }).subscribe((r) => {
    arrivals.push({ atUs: performance.now() * 1000, busUs: r.timestampUs, captureUs: catalog.lookupValue(r.value)?.timeOf(r.value) ?? NaN, topic: r.topic });
  });
  await new Promise((r) => setTimeout(r, 50));
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const gc = gcRecorder();
  const t = performance.now();
  const stats = await replay({ bus, files: file, rate, reader: o.reader ?? 'thread', pacing: o.pacing, pacingMarginUs: MARGIN_US, schedulingPriority: o.priority, realtimePriority: o.realtime }).done;
  const wallS = (performance.now() - t) / 1000;
  loopDelay.disable();
  gc.stop();
  await new Promise((r) => setTimeout(r, 100));
  sub?.unsubscribe();
  if (threadReceiver !== undefined) arrivals.push(...(await threadReceiver.arrivals()));
  await bus.close();
  return paced(label, events, arrivals, rate, { stats, wallS, gc: gc.pauses, originUs: t * 1000, eventLoopDelayP99Us: loopDelay.percentile(99) / 1000 });
}

/** Drops, per-topic order and, for paced rates, the timing figures of both stamps and where their worst 1 % lies. */
function paced(
  label: string, events: readonly Event[], arrivals: Arrival[], rate: number | 'max',
  run: { stats: { reanchors: number; pacingBackOffs: number; lagP50Us: number; lagP99Us: number; schedulingPriorityApplied: boolean | undefined; realtimeApplied: boolean | undefined }; wallS: number; gc: readonly { startUs: number; endUs: number; kind: number }[]; originUs: number; eventLoopDelayP99Us?: number },
  busStampLabel = 'busEntry',
): Record<string, number> {
  // order per topic (the Bus orders within a topic partition; a subscriber of several topics may
  // get records published in one event-loop turn grouped by topic)
  let outOfOrder = 0;
  const lastByTopic = new Map<string, number>();
  for (const a of arrivals) {
    if (a.captureUs < (lastByTopic.get(a.topic) ?? -Infinity)) outOfOrder++;
    lastByTopic.set(a.topic, a.captureUs);
  }
  const base = { messages: events.length, received: arrivals.length, drops: events.length - arrivals.length, outOfOrder, wallS: run.wallS };
  if (rate === 'max') return base;
  // timing: consecutive records of the recording (capture order) against their capture gap
  arrivals.sort((a, b) => a.captureUs - b.captureUs || a.atUs - b.atUs);
  const atReceiver = stampFigures('receiverArrival', arrivals, (a) => a.atUs, rate);
  const atBus = stampFigures(busStampLabel, arrivals, (a) => a.busUs, rate);
  analyses.push({ label, stamp: busStampLabel, analysis: worstOnePercent(atBus.gaps, run.gc, run.originUs) });
  analyses.push({ label, stamp: 'receiver arrival', analysis: worstOnePercent(atReceiver.gaps, run.gc, run.originUs) });
  return {
    ...base,
    reanchors: run.stats.reanchors,
    pacingBackOffs: run.stats.pacingBackOffs,
    ...(run.stats.schedulingPriorityApplied === undefined ? {} : { priorityApplied: run.stats.schedulingPriorityApplied ? 1 : 0 }),
    ...(run.stats.realtimeApplied === undefined ? {} : { realtimeApplied: run.stats.realtimeApplied ? 1 : 0 }),
    schedulerLagP50Us: run.stats.lagP50Us,
    schedulerLagP99Us: run.stats.lagP99Us,
    ...atBus.figures,
    ...atReceiver.figures,
    ...(run.eventLoopDelayP99Us === undefined ? {} : { eventLoopDelayP99Us: run.eventLoopDelayP99Us }),
    ...gcFigures(run.gc),
  };
}

/**
 * Over Kafka: the replay publishes to the dev broker (topics with message.timestamp.type=LogAppendTime, so
 * each record's timestamp is when the broker appended it: the canonical Bus-side time, in whole ms) and a
 * receiver in another process (kafka-receiver.ts) stamps its arrival.
 */
async function kafkaCase(label: string, events: readonly Event[], file: string, priority?: number, realtime?: number): Promise<Record<string, number>> {
  const prefix = `timing-${String(Date.now())}-`;
  const kafka = new kafkajs.Kafka({ clientId: 'bench-recorder-timing', brokers: BROKERS, logLevel: kafkajs.logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const topics = TOPICS.map((t) => `${prefix}${t}`);
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }, { name: 'max.message.bytes', value: String(16 << 20) }] })),
  });
  const out = path.join(tmp, `${prefix}arrivals.json`);
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(here, 'kafka-receiver.ts'), BROKERS.join(','), topics.join(','), String(events.length), out], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
    void exited.then((code) => { reject(new Error(`kafka receiver exited with ${String(code)} before it was ready`)); });
  });
  const bus = new KafkaBus({ brokers: BROKERS, clientId: 'bench-recorder-timing', logLevel: 'error', maxMessageBytes: 16 << 20 });
  const gc = gcRecorder();
  const t = performance.now();
  let stats: Awaited<ReturnType<typeof replay>['done']>;
  try {
    stats = await replay({ bus, files: file, rate: 1, topicPrefix: prefix, pacingMarginUs: MARGIN_US, schedulingPriority: priority, realtimePriority: realtime }).done;
  } finally {
    gc.stop();
    await bus.close();
  }
  const wallS = (performance.now() - t) / 1000;
  const timeout = setTimeout(() => child.kill('SIGTERM'), 30_000);
  await exited;
  clearTimeout(timeout);
  const rows = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as number[]) : [];
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  const arrivals: Arrival[] = [];
  for (let i = 0; i + 3 < rows.length; i += 4) arrivals.push({ atUs: rows[i] ?? NaN, busUs: rows[i + 1] ?? NaN, captureUs: rows[i + 2] ?? NaN, topic: TOPICS[rows[i + 3] ?? 0] ?? '?' });
  // the receiver's clock is another process's: only its own gaps are compared, never stamps across processes
  return paced(label, events, arrivals, 1, { stats, wallS, gc: gc.pauses, originUs: NaN }, 'logAppendTime');
}

const cases: { label: string; result: Record<string, number> }[] = [];
const small = schedule(false);
const mixed = schedule(true);
const smallFile = path.join(tmp, 'small.mcap');
const mixedFile = path.join(tmp, 'mixed.mcap');
await writeRecording(small, 'zstd', smallFile);
await writeRecording(mixed, 'zstd', mixedFile);
const run = async (id: string, label: string, f: (label: string) => Promise<Record<string, number>>): Promise<void> => {
  if (!CASES.has(id)) return;
  const result = await measured(() => f(label));
  console.log(label, JSON.stringify(result));
  cases.push({ label, result });
};
await run('floor', "floor: the schedule slept alone, 'auto' (camera 30 Hz + IMU 200 Hz)", (l) => baseline(l, small, 'auto'));
await run('floor-precise', "floor: slept alone, 'precise'", (l) => baseline(l, small, 'precise'));
await run('floor-precise-prio', `floor: slept alone, 'precise', nice ${String(PRIORITY)}`, (l) => baseline(l, small, 'precise', PRIORITY));
await run('floor-precise-rt', `floor: slept alone, 'precise', SCHED_FIFO ${String(RT)}`, (l) => baseline(l, small, 'precise', undefined, RT));
await run('floor-low-cpu', "floor: slept alone, 'low-cpu'", (l) => baseline(l, small, 'low-cpu'));
await run('floor-low-cpu-rt', `floor: slept alone, 'low-cpu', SCHED_FIFO ${String(RT)}`, (l) => baseline(l, small, 'low-cpu', undefined, RT));
await run('small', "replay 1×, camera 30 Hz + IMU 200 Hz, zstd, 'auto' (default)", (l) => replayCase(l, small, smallFile, 1));
await run('small-prio', `replay 1×, camera + IMU, 'auto', pacing thread at nice ${String(PRIORITY)}`, (l) => replayCase(l, small, smallFile, 1, { priority: PRIORITY }));
await run('small-rt', `replay 1×, camera + IMU, 'auto', pacing thread SCHED_FIFO ${String(RT)}`, (l) => replayCase(l, small, smallFile, 1, { realtime: RT }));
await run('small-low-cpu-rt', `replay 1×, camera + IMU, 'low-cpu', SCHED_FIFO ${String(RT)}`, (l) => replayCase(l, small, smallFile, 1, { pacing: 'low-cpu', realtime: RT }));
await run('small-thread-rt', `replay 1×, camera + IMU, 'auto', receiver in a worker thread, SCHED_FIFO ${String(RT)}`, (l) => replayCase(l, small, smallFile, 1, { receiver: 'thread', realtime: RT }));
await run('small-thread', "replay 1×, camera + IMU, 'auto', receiver in a worker thread", (l) => replayCase(l, small, smallFile, 1, { receiver: 'thread' }));
await run('small-thread-prio', `replay 1×, camera + IMU, 'auto', receiver in a worker thread, nice ${String(PRIORITY)}`, (l) => replayCase(l, small, smallFile, 1, { receiver: 'thread', priority: PRIORITY }));
await run('small-low-cpu', "replay 1×, camera + IMU, 'low-cpu'", (l) => replayCase(l, small, smallFile, 1, { pacing: 'low-cpu' }));
await run('kafka-small', "replay 1× to Kafka (LogAppendTime, ms), camera + IMU, 'auto', receiver in another process", (l) => kafkaCase(l, small, smallFile));
await run('kafka-small-prio', `replay 1× to Kafka, camera + IMU, 'auto', nice ${String(PRIORITY)}, receiver in another process`, (l) => kafkaCase(l, small, smallFile, PRIORITY));
await run('lidar', "replay 1×, + LIDAR 10 Hz 2 MB, zstd, reader thread, 'auto' (default)", (l) => replayCase(l, mixed, mixedFile, 1));
await run('lidar-rt', `replay 1×, + LIDAR, 'auto', SCHED_FIFO ${String(RT)}`, (l) => replayCase(l, mixed, mixedFile, 1, { realtime: RT }));
await run('lidar-rt-ret1s', `replay 1×, + LIDAR, 'auto', SCHED_FIFO ${String(RT)}, MemoryBus retention 1 s (values leave the process soon, as with Kafka)`, (l) => replayCase(l, mixed, mixedFile, 1, { realtime: RT, retentionMs: 1_000 }));
await run('lidar-low-cpu-rt', `replay 1×, + LIDAR, 'low-cpu', SCHED_FIFO ${String(RT)}`, (l) => replayCase(l, mixed, mixedFile, 1, { pacing: 'low-cpu', realtime: RT }));
await run('lidar-prio', `replay 1×, + LIDAR, 'auto', nice ${String(PRIORITY)}`, (l) => replayCase(l, mixed, mixedFile, 1, { priority: PRIORITY }));
await run('lidar-thread-prio', `replay 1×, + LIDAR, 'auto', receiver in a worker thread, nice ${String(PRIORITY)}`, (l) => replayCase(l, mixed, mixedFile, 1, { receiver: 'thread', priority: PRIORITY }));
await run('kafka-small-rt', `replay 1× to Kafka, camera + IMU, 'auto', SCHED_FIFO ${String(RT)}, receiver in another process`, (l) => kafkaCase(l, small, smallFile, undefined, RT));
await run('lidar-precise', "replay 1×, + LIDAR, 'precise'", (l) => replayCase(l, mixed, mixedFile, 1, { pacing: 'precise' }));
await run('lidar-low-cpu', "replay 1×, + LIDAR, 'low-cpu'", (l) => replayCase(l, mixed, mixedFile, 1, { pacing: 'low-cpu' }));
await run('lidar-inline', "replay 1×, + LIDAR, inline reader, 'auto'", (l) => replayCase(l, mixed, mixedFile, 1, { reader: 'inline' }));
await run('x10', 'replay 10×, + LIDAR, zstd (default: low-cpu)', (l) => replayCase(l, mixed, mixedFile, 10));
await run('max', "replay 'max', + LIDAR, zstd", (l) => replayCase(l, mixed, mixedFile, 'max'));
fs.rmSync(tmp, { recursive: true, force: true });

const meta = { command: 'nice -n 10 node --conditions=source --import tsx bench/recorder/timing.ts', execArgv: process.execArgv.join(' '), niceAtStart: NICE_AT_START, date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, loadAvg1m: os.loadavg()[0], seconds: SECONDS, marginUs: MARGIN_US ?? 'default', cases: [...CASES].join(',') };
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.resolve(outDir, `${OUT}.json`), `${JSON.stringify({ meta, cases, worstOnePercent: analyses }, null, 2)}\n`);
const keys = [...new Set(cases.flatMap((c) => Object.keys(c.result)))];
const md = [
  '# bench/recorder/timing',
  '',
  `\`${meta.command}\` — ${meta.date}, Node ${meta.node} (flags \`${meta.execArgv}\`, nice ${String(NICE_AT_START)} at start), ${meta.cpu} (${String(meta.cores)} cores, 1-min load ${(meta.loadAvg1m ?? 0).toFixed(2)}), ${String(SECONDS)} s recordings.`,
  '',
  'Two stamps per record: `busEntry` = when the record entered the MemoryBus (its append time, on the pacing thread; for Kafka `logAppendTime` = the broker\'s LogAppendTime, whole ms) and `receiverArrival` = when the subscriber got it (same thread as the pacer unless the case names another thread or process). Error = |stamp gap − capture gap / rate| of consecutive records. µs unless named otherwise; gc* = pauses of the pacing thread.',
  '',
  `| figure | ${cases.map((c) => c.label).join(' | ')} |`,
  `|---|${cases.map(() => '---:').join('|')}|`,
  ...keys.map((k) => `| ${k} | ${cases.map((c) => (c.result[k] === undefined ? '' : k === 'wallS' || k.startsWith('loadAvg') || k === 'cpuPerSecond' ? (c.result[k] ?? 0).toFixed(2) : String(Math.round(c.result[k] ?? NaN)))).join(' | ')} |`),
  '',
  '## Where the worst 1 % of gaps are',
  '',
  'Episodes = worst-1 % gaps less than 20 ms apart (one late stamp spoils the gap before and after it); CV of the intervals between episodes (≈ 0 periodic, ≈ 1 random); GC = a GC pause of the pacing thread overlaps the gap.',
  '',
  '| case | stamp | p99 (µs) | worst gaps | with GC | late wake-up | episodes | with GC | interval p50 (s) | CV | episodes per 10 s | top episodes |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ...analyses.map(({ label, stamp, analysis: a }) => `| ${label} | ${stamp} | ${String(a.p99ThresholdUs)} | ${String(a.worstGaps)} | ${String(a.worstWithGcPct)} % | ${typeof a.worstLateWakePct === 'number' ? `${String(a.worstLateWakePct)} %` : ''} | ${String(a.episodes)} | ${String(a.episodesWithGc)} | ${String(a.episodeIntervalP50S)} | ${String(a.episodeIntervalCv)} | ${(a.episodesPer10s as number[] | undefined)?.join(' ') ?? ''} | ${(a.top as string[] | undefined)?.join('; ') ?? ''} |`),
  '',
].join('\n');
fs.writeFileSync(path.resolve(outDir, `${OUT}.md`), md);
console.log(md);
