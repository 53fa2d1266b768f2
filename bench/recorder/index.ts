/**
 * bench/recorder: record and replay throughput next to baselines measured in the same run.
 *   node --conditions=source --import tsx bench/recorder/index.ts
 * Env: BENCH_ROUNDS (default 3), BENCH_WORKLOADS (comma list of label words, e.g. imu,lidar; default all). Paced (1×) timing is bench/recorder/timing.ts.
 *
 * Workloads: 2 MB LIDAR sweeps (real KITTI points when ../shared/data/kitti exists, else synthetic)
 * 1 KB camera-like records and ~100 B IMU-like records. Each case runs in alternating rounds; medians are reported.
 *  - record: RecordingWriter (MCAP, zstd or none) vs writing the same value bytes with fs.writeSync.
 *  - record via MemoryBus: publish → recorder → file, the whole record path.
 *  - replay 'max' into a MemoryBus vs the MCAP indexed reader alone vs fs reads of the file's bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McapIndexedReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { record, Recording, RecordingWriter, replay, SchemaCatalog, type ChunkCompression } from '@sensorfuse/recorder';
import { cameraFrameSchema, lidarScanSchema, type CameraFrame, type LidarScan } from '@sensorfuse/schemas';
import { MemoryBus } from '@sensorfuse/transport';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const outDir = path.join(repoRoot, 'bench/results');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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
  // IMU-heavy: many ~100-byte records (a MotionSample-sized value)
  const imu: Buffer[] = [];
  for (let i = 0; i < 200_000; i++) {
    imu.push(cameraCodec.encode({ rigId: 'rig', sensorId: 'imu', seq: i, captureTimeUs: T0 + i * 5_000, publishTimeUs: T0 + i * 5_000, frameId: 'imu', width: 6, height: 8, encoding: 'gray8', stride: 6, data: Buffer.alloc(48, i & 255) }));
  }
  return {
    list: [
      { label: '2 MB LIDAR sweeps', values: sweeps, topic: 'raw.lidar' },
      { label: '1 KB records', values: small, topic: 'raw.camera' },
      { label: `${String(imu[0]?.length ?? 0)} B IMU-like records`, values: imu, topic: 'raw.motion' },
    ],
    lidarSource: source,
  };
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

/** The recorder's own reader alone: Recording.batches (chunk batches, envelope split), no Bus. */
async function readRecording(file: string): Promise<number> {
  const t = performance.now();
  const rec = await Recording.open(file);
  let n = 0;
  for await (const batch of rec.batches()) for (const m of batch) n += m.value.length;
  await rec.close();
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
      const t: Record<string, number[]> = { plainWrite: [], mcapWrite: [], busRecord: [], plainRead: [], mcapRead: [], ownRead: [], replay: [], publish: [] };
      const file = path.join(tmp, `w-${compression}.mcap`);
      for (let r = 0; r < ROUNDS; r++) {
        t.plainWrite?.push(writePlain(w, path.join(tmp, 'plain.bin')));
        t.mcapWrite?.push(await writeMcap(w, file, compression));
        if (compression === 'zstd') t.busRecord?.push(await recordViaBus(w, path.join(tmp, 'bus.mcap')));
        t.plainRead?.push(readPlain(file));
        t.mcapRead?.push(await readMcap(file));
        t.ownRead?.push(await readRecording(file));
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
      rows.push({ workload: w.label, compression, case: 'Recording.batches alone (the replay reader, no Bus)', mbPerS: rate('ownRead'), vsBaseline: rate('ownRead') / rate('mcapRead'), baseline: 'MCAP reader alone' });
      rows.push({ workload: w.label, compression, case: 'baseline: MemoryBus.publish of the values alone (256 per call)', mbPerS: rate('publish'), vsBaseline: 1, baseline: '-' });
      rows.push({ workload: w.label, compression, case: "replay({ rate: 'max' }) → MemoryBus", mbPerS: rate('replay'), vsBaseline: rate('replay') / rate('mcapRead'), baseline: 'MCAP reader alone' });
      rows.push({ workload: w.label, compression, case: "replay time / (reader alone + publish alone)", mbPerS: mb / (median(t.mcapRead ?? []) + median(t.publish ?? [])), vsBaseline: (median(t.mcapRead ?? []) + median(t.publish ?? [])) / median(t.replay ?? []), baseline: 'sum of the two baselines' });
      console.log(rows.slice(-9).map((r) => `${r.workload} ${r.compression} ${r.case}: ${r.mbPerS.toFixed(1)} MB/s (${r.vsBaseline.toFixed(2)}×)`).join('\n'));
    }
  }
  return rows;
}

const { list, lidarSource } = workloads();
const only = process.env.BENCH_WORKLOADS?.split(',');
const rows = await throughput(only ? list.filter((w) => only.some((o) => w.label.toLowerCase().includes(o.toLowerCase()))) : list);
fs.rmSync(tmp, { recursive: true, force: true });
const meta = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, load1: os.loadavg()[0], rounds: ROUNDS, lidarSource };
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'recorder.json'), `${JSON.stringify({ meta, throughput: rows }, null, 2)}\n`);
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
  'Paced replay timing: bench/recorder/timing.ts → recorder-timing.md.',
  '',
].join('\n');
fs.writeFileSync(path.join(outDir, 'recorder.md'), md);
console.log(`\n${md}`);
