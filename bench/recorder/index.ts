/**
 * bench/recorder: record and replay throughput next to baselines measured in the same run.
 *   node --conditions=source --import tsx bench/recorder/index.ts
 * Env: BENCH_ROUNDS (default 3), BENCH_PACED_SECONDS (default 10; the issue's figure is 60).
 *
 * Workloads: 2 MB LIDAR sweeps (real KITTI points when ../shared/data/kitti exists, else synthetic)
 * and 1 KB camera-like records. Each case runs in alternating rounds; medians are reported.
 *  - record: RecordingWriter (MCAP, zstd or none) vs writing the same value bytes with fs.writeSync.
 *  - record via MemoryBus: publish → recorder → file, the whole record path.
 *  - replay 'max' into a MemoryBus vs the MCAP indexed reader alone vs fs reads of the file's bytes.
 *  - paced replay at 1× on the system clock: send-time error against the schedule (replay stats)
 *    and inter-arrival error measured on the Bus side by a subscriber.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McapIndexedReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { record, RecordingWriter, replay, SchemaCatalog, type ChunkCompression } from '@sensorfuse/recorder';
import { cameraFrameSchema, lidarScanSchema, type CameraFrame, type LidarScan } from '@sensorfuse/schemas';
import { MemoryBus } from '@sensorfuse/transport';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const outDir = path.join(repoRoot, 'bench/results');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 10);
const T0 = 1_700_000_000_000_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-recorder-'));

const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarScan>(registry, lidarScanSchema);
const cameraCodec = createCodec<CameraFrame>(registry, cameraFrameSchema);

function lidarPayload(): { data: Buffer; source: string } {
  const kitti = path.resolve(repoRoot, '../shared/data/kitti/velodyne/000000.bin');
  if (fs.existsSync(kitti)) return { data: fs.readFileSync(kitti), source: 'KITTI 000000.bin' };
  const data = Buffer.alloc(120_000 * 16);
  for (let i = 0; i < data.length; i += 4) data.writeFloatLE(Math.sin(i) * 40, i);
  return { data, source: 'synthetic' };
}

interface Workload { readonly label: string; readonly values: Buffer[]; readonly topic: string }

function workloads(): { list: Workload[]; lidarSource: string } {
  const { data, source } = lidarPayload();
  const sweeps: Buffer[] = [];
  for (let i = 0; i < 60; i++) {
    // vary a few bytes so sweeps are not identical (no cross-sweep dedup by the compressor)
    const d = Buffer.from(data);
    d.writeUInt32LE(i, 0);
    sweeps.push(lidarCodec.encode({ rigId: 'rig', sensorId: 'lidar_top', seq: i, captureTimeUs: T0 + i * 100_000, publishTimeUs: T0 + i * 100_000, frameId: 'lidar_top',
      fields: [{ name: 'x', offset: 0, datatype: 'float32', count: 1 }, { name: 'y', offset: 4, datatype: 'float32', count: 1 }, { name: 'z', offset: 8, datatype: 'float32', count: 1 }, { name: 'intensity', offset: 12, datatype: 'float32', count: 1 }],
      pointStride: 16, pointCount: d.length / 16, data: d, sweepDurationUs: 100_000 }));
  }
  const small: Buffer[] = [];
  for (let i = 0; i < 40_000; i++) {
    const px = Buffer.alloc(900);
    for (let j = 0; j < px.length; j++) px[j] = (i * 31 + j * 7) & 255;
    small.push(cameraCodec.encode({ rigId: 'rig', sensorId: 'cam', seq: i, captureTimeUs: T0 + i * 1_000, publishTimeUs: T0 + i * 1_000, frameId: 'cam', width: 30, height: 30, encoding: 'gray8', stride: 30, data: px }));
  }
  return { list: [{ label: '2 MB LIDAR sweeps', values: sweeps, topic: 'raw.lidar' }, { label: '1 KB records', values: small, topic: 'raw.camera' }], lidarSource: source };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}

const totalBytes = (w: Workload): number => w.values.reduce((n, v) => n + v.length, 0);
const headers = { 'content-type': Buffer.from('bench') };

async function writeMcap(w: Workload, file: string, compression: ChunkCompression): Promise<number> {
  const t = performance.now();
  const writer = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), compression });
  for (const v of w.values) await writer.add({ topic: w.topic, key: Buffer.from('rig'), headers, value: v, timestampUs: 0 });
  await writer.close();
  return (performance.now() - t) / 1000;
}

function writePlain(w: Workload, file: string): number {
  const t = performance.now();
  const fd = fs.openSync(file, 'w');
  for (const v of w.values) fs.writeSync(fd, v);
  fs.closeSync(fd);
  return (performance.now() - t) / 1000;
}

async function recordViaBus(w: Workload, file: string): Promise<number> {
  const bus = new MemoryBus();
  await bus.admin.createTopics([{ topic: w.topic, partitions: 1 }]);
  const rec = await record({ bus, topics: [w.topic], path: file });
  const t = performance.now();
  for (let i = 0; i < w.values.length; i += 64) {
    await bus.publish(w.topic, w.values.slice(i, i + 64).map((value) => ({ key: 'rig', value, headers })));
  }
  await rec.whenReceived(w.values.length);
  await rec.stop();
  const s = (performance.now() - t) / 1000;
  await bus.close();
  return s;
}

async function publishOnly(w: Workload): Promise<number> {
  const bus = new MemoryBus();
  await bus.admin.createTopics([{ topic: w.topic, partitions: 1 }]);
  const t = performance.now();
  for (let i = 0; i < w.values.length; i += 256) {
    await bus.publish(w.topic, w.values.slice(i, i + 256).map((value) => ({ key: Buffer.from('rig'), value, headers })));
  }
  const s = (performance.now() - t) / 1000;
  await bus.close();
  return s;
}

async function replayToBus(file: string, topic: string): Promise<number> {
  const bus = new MemoryBus();
  await bus.admin.createTopics([{ topic, partitions: 1 }]);
  const t = performance.now();
  await replay({ bus, files: file, rate: 'max' }).done;
  const s = (performance.now() - t) / 1000;
  await bus.close();
  return s;
}

async function readMcap(file: string): Promise<number> {
  const t = performance.now();
  const handle = await fs.promises.open(file, 'r');
  const size = BigInt((await handle.stat()).size);
  const reader = await McapIndexedReader.Initialize({
    readable: { size: () => Promise.resolve(size), read: async (o, l) => { const b = Buffer.allocUnsafe(Number(l)); await handle.read(b, 0, b.length, Number(o)); return b; } },
    decompressHandlers: await loadDecompressHandlers(),
  });
  let n = 0;
  for await (const m of reader.readMessages()) n += m.data.length;
  await handle.close();
  if (n === 0) throw new Error('empty');
  return (performance.now() - t) / 1000;
}

function readPlain(file: string): number {
  const t = performance.now();
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0) { /* read through */ }
  fs.closeSync(fd);
  return (performance.now() - t) / 1000;
}

interface Row { readonly workload: string; readonly compression: string; readonly case: string; readonly mbPerS: number; readonly vsBaseline: number; readonly baseline: string }

async function throughput(list: Workload[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const w of list) {
    const mb = totalBytes(w) / 1e6;
    for (const compression of ['zstd', 'none'] as const) {
      const t: Record<string, number[]> = { plainWrite: [], mcapWrite: [], busRecord: [], plainRead: [], mcapRead: [], replay: [], publish: [] };
      const file = path.join(tmp, `w-${compression}.mcap`);
      for (let r = 0; r < ROUNDS; r++) {
        t.plainWrite?.push(writePlain(w, path.join(tmp, 'plain.bin')));
        t.mcapWrite?.push(await writeMcap(w, file, compression));
        if (compression === 'zstd') t.busRecord?.push(await recordViaBus(w, path.join(tmp, 'bus.mcap')));
        t.plainRead?.push(readPlain(file));
        t.mcapRead?.push(await readMcap(file));
        t.replay?.push(await replayToBus(file, w.topic));
        t.publish?.push(await publishOnly(w));
      }
      const rate = (k: string): number => mb / median(t[k] ?? []);
      const fileMb = fs.statSync(file).size / 1e6;
      rows.push({ workload: w.label, compression, case: 'baseline: fs.writeSync of the values', mbPerS: rate('plainWrite'), vsBaseline: 1, baseline: '-' });
      rows.push({ workload: w.label, compression, case: `RecordingWriter → MCAP (${fileMb.toFixed(1)} MB file for ${mb.toFixed(1)} MB)`, mbPerS: rate('mcapWrite'), vsBaseline: rate('mcapWrite') / rate('plainWrite'), baseline: 'fs.writeSync' });
      if (compression === 'zstd') rows.push({ workload: w.label, compression, case: 'record(): MemoryBus publish → recorder → MCAP', mbPerS: rate('busRecord'), vsBaseline: rate('busRecord') / rate('plainWrite'), baseline: 'fs.writeSync' });
      rows.push({ workload: w.label, compression, case: 'baseline: fs.readSync of the MCAP file bytes', mbPerS: mb / median(t.plainRead ?? []), vsBaseline: 1, baseline: '-' });
      rows.push({ workload: w.label, compression, case: 'baseline: McapIndexedReader.readMessages alone', mbPerS: rate('mcapRead'), vsBaseline: 1, baseline: '-' });
      rows.push({ workload: w.label, compression, case: 'baseline: MemoryBus.publish of the values alone (256 per call)', mbPerS: rate('publish'), vsBaseline: 1, baseline: '-' });
      rows.push({ workload: w.label, compression, case: "replay({ rate: 'max' }) → MemoryBus", mbPerS: rate('replay'), vsBaseline: rate('replay') / rate('mcapRead'), baseline: 'MCAP reader alone' });
      rows.push({ workload: w.label, compression, case: "replay time / (reader alone + publish alone)", mbPerS: mb / (median(t.mcapRead ?? []) + median(t.publish ?? [])), vsBaseline: (median(t.mcapRead ?? []) + median(t.publish ?? [])) / median(t.replay ?? []), baseline: 'sum of the two baselines' });
      console.log(rows.slice(-8).map((r) => `${r.workload} ${r.compression} ${r.case}: ${r.mbPerS.toFixed(1)} MB/s (${r.vsBaseline.toFixed(2)}×)`).join('\n'));
    }
  }
  return rows;
}

/** A mixed 1× recording: LIDAR 10 Hz (2 MB), camera 30 Hz, IMU-like 200 Hz; replayed on the system clock. */
async function pacing(lidar: Buffer, compression: ChunkCompression, withLidar: boolean): Promise<Record<string, number>> {
  const file = path.join(tmp, 'paced.mcap');
  const writer = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), compression });
  const events: { t: number; topic: string; value: Buffer }[] = [];
  if (withLidar) for (let t = 0; t < PACED_SECONDS * 1e6; t += 100_000) events.push({ t, topic: 'raw.lidar', value: lidarCodec.encode({ ...lidarCodec.decode(lidar), captureTimeUs: T0 + t }) });
  for (let t = 0; t < PACED_SECONDS * 1e6; t += 33_333) events.push({ t, topic: 'raw.camera', value: cameraCodec.encode({ rigId: 'rig', sensorId: 'cam', seq: t, captureTimeUs: T0 + t, publishTimeUs: T0 + t, frameId: 'cam', width: 2, height: 2, encoding: 'gray8', stride: 2, data: Buffer.alloc(4) }) });
  for (let t = 0; t < PACED_SECONDS * 1e6; t += 5_000) events.push({ t, topic: 'raw.motion', value: cameraCodec.encode({ rigId: 'rig', sensorId: 'imu', seq: t, captureTimeUs: T0 + t, publishTimeUs: T0 + t, frameId: 'imu', width: 1, height: 1, encoding: 'gray8', stride: 1, data: Buffer.alloc(1) }) });
  events.sort((a, b) => a.t - b.t);
  for (const e of events) await writer.add({ topic: e.topic, key: Buffer.from('rig'), headers, value: e.value, timestampUs: 0 });
  await writer.close();
  const bus = new MemoryBus();
  await bus.admin.createTopics(['raw.lidar', 'raw.camera', 'raw.motion'].map((topic) => ({ topic, partitions: 1 })));
  const arrivals: { atUs: number; captureUs: number }[] = [];
  const catalog = new SchemaCatalog();
  // never commits: no backpressure limits, or the bus would pause it after 64 MiB
  const sub = bus.subscribe({ groupId: 'timing', topics: ['raw.lidar', 'raw.camera', 'raw.motion'], highWaterMark: Infinity, highWaterMarkBytes: Infinity }).subscribe((r) => {
    const at = performance.now() * 1000;
    // the capture time without decoding the payload (Avro resolution skips the bytes)
    const cap = catalog.lookupValue(r.value)?.timeOf(r.value) ?? NaN;
    arrivals.push({ atUs: at, captureUs: cap });
  });
  await new Promise((r) => setTimeout(r, 50));
  const stats = await replay({ bus, files: file, rate: 1 }).done;
  await new Promise((r) => setTimeout(r, 50));
  sub.unsubscribe();
  await bus.close();
  // Bus side: error of each arrival against the first arrival + capture offset (absolute schedule)
  arrivals.sort((a, b) => a.captureUs - b.captureUs);
  const first = arrivals[0];
  const errs = arrivals.map((a) => Math.abs(a.atUs - (first?.atUs ?? 0) - (a.captureUs - (first?.captureUs ?? 0))));
  const gapErrs = arrivals.slice(1).map((a, i) => Math.abs(a.atUs - (arrivals[i]?.atUs ?? 0) - (a.captureUs - (arrivals[i]?.captureUs ?? 0))));
  const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))] ?? NaN;
  return {
    seconds: PACED_SECONDS,
    messages: events.length,
    received: arrivals.length,
    drops: events.length - arrivals.length,
    schedulerLagP50Us: stats.lagP50Us,
    schedulerLagP99Us: stats.lagP99Us,
    reanchors: stats.reanchors,
    busInterArrivalErrorP50Us: pct(gapErrs, 0.5),
    busInterArrivalErrorP99Us: pct(gapErrs, 0.99),
    busAbsoluteErrorP99Us: pct(errs, 0.99),
    busAbsoluteErrorMaxUs: Math.max(...errs),
  };
}

const { list, lidarSource } = workloads();
const rows = await throughput(list);
const sweep = list[0]?.values[0] ?? Buffer.alloc(0);
const pacedCases = [
  { label: 'LIDAR 10 Hz 2 MB + camera 30 Hz + 200 Hz small, zstd chunks', result: await pacing(sweep, 'zstd', true) },
  { label: 'same, uncompressed chunks', result: await pacing(sweep, 'none', true) },
  { label: 'camera 30 Hz + 200 Hz small only, zstd chunks', result: await pacing(sweep, 'zstd', false) },
];
fs.rmSync(tmp, { recursive: true, force: true });
const meta = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, load1: os.loadavg()[0], rounds: ROUNDS, lidarSource };
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'recorder.json'), `${JSON.stringify({ meta, throughput: rows, paced: pacedCases }, null, 2)}\n`);
const md = [
  '# bench/recorder',
  '',
  `\`node --conditions=source --import tsx bench/recorder/index.ts\` — ${meta.date}, Node ${meta.node}, ${meta.cpu} (${String(meta.cores)} cores, 1-min load ${(meta.load1 ?? 0).toFixed(2)}), ${String(ROUNDS)} rounds, median. LIDAR payload: ${lidarSource}.`,
  '',
  'MB/s of Avro record values (the same bytes for every row of a workload).',
  '',
  '| workload | chunks | case | MB/s | ratio | vs |',
  '|---|---|---|---:|---:|---|',
  ...rows.map((r) => `| ${r.workload} | ${r.compression} | ${r.case} | ${r.mbPerS.toFixed(1)} | ${r.baseline === '-' ? '' : `${r.vsBaseline.toFixed(2)}×`} | ${r.baseline} |`),
  '',
  `## Paced replay at 1× (${String(PACED_SECONDS)} s recordings, MemoryBus, system clock)`,
  '',
  'Scheduler lag: send time minus due time inside replay. Bus side: a subscriber in the same process stamps each arrival; inter-arrival error = |arrival gap − capture gap| of consecutive records; absolute error includes the timeline shifts of re-anchoring. µs.',
  '',
  `| figure | ${pacedCases.map((c) => c.label).join(' | ')} |`,
  `|---|${pacedCases.map(() => '---:').join('|')}|`,
  ...Object.keys(pacedCases[0]?.result ?? {}).map((k) => `| ${k} | ${pacedCases.map((c) => String(Math.round(c.result[k] ?? NaN))).join(' | ')} |`),
  '',
].join('\n');
fs.writeFileSync(path.join(outDir, 'recorder.md'), md);
console.log(`\n${md}`);
