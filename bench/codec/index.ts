/**
 * bench/codec: encode + decode of a 120k-point LidarScan (x, y, z, intensity float32 = 1.92 MB)
 * through the single-object codec, against Buffer.copy of the same bytes, in the same run.
 *   node --conditions=source --import tsx bench/codec/index.ts [--iterations N]
 * Writes bench/results/codec.json and bench/results/codec.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { lidarScanSchema, type LidarScan } from '@sensorfuse/schemas';

const POINTS = 120_000;
const STRIDE = 16;
const argIndex = process.argv.indexOf('--iterations');
const ITERATIONS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 300;
const WARMUP = 50;
/** Iterations are run in blocks of one case, blocks of all cases alternate in rounds. */
const BLOCK = 30;

function makeScan(): LidarScan {
  const data = Buffer.allocUnsafe(POINTS * STRIDE);
  const f32 = new Float32Array(data.buffer, data.byteOffset, POINTS * 4);
  for (let i = 0; i < POINTS; i++) {
    const azimuth = (i / POINTS) * 2 * Math.PI * 64;
    const range = 5 + (i % 977) / 20;
    f32[i * 4] = range * Math.cos(azimuth);
    f32[i * 4 + 1] = range * Math.sin(azimuth);
    f32[i * 4 + 2] = -1.7 + (i % 64) * 0.05;
    f32[i * 4 + 3] = (i % 255) / 255;
  }
  return {
    rigId: 'rig-bench',
    sensorId: 'lidar_top',
    seq: 1,
    captureTimeUs: 1_700_000_000_000_000,
    publishTimeUs: 1_700_000_000_001_000,
    frameId: 'lidar_top',
    fields: ['x', 'y', 'z', 'intensity'].map((name, i) => ({ name, offset: i * 4, datatype: 'float32' as const, count: 1 })),
    pointStride: STRIDE,
    pointCount: POINTS,
    data,
    sweepDurationUs: 100_000,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
}
function timeUs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1_000;
}

const scan = makeScan();
const registry = new SchemaRegistry();
const codec = createCodec<LidarScan>(registry, lidarScanSchema);
const viewCodec = createCodec<LidarScan>(registry, lidarScanSchema, { bytes: 'view' });

// Correctness first: the benchmark means nothing if the round trip is not exact.
const encodedOnce = codec.encode(scan);
if (!codec.decode(encodedOnce).data.equals(scan.data)) throw new Error('round trip changed the points');
if (!viewCodec.decode(encodedOnce).data.equals(scan.data)) throw new Error('view round trip changed the points');

let sink = 0; // keeps results alive so the optimiser cannot drop the work
const preallocated = Buffer.allocUnsafe(scan.data.length);
const cases = {
  /** Baseline: a fresh buffer and one copy of the points, what passing the bytes along costs. */
  allocAndCopy: () => {
    const dst = Buffer.allocUnsafe(scan.data.length);
    scan.data.copy(dst);
    sink += dst[7] ?? 0;
  },
  /** Lower bound: Buffer.copy into a buffer allocated once, memcpy alone. */
  copyOnly: () => {
    scan.data.copy(preallocated);
    sink += preallocated[7] ?? 0;
  },
  encode: () => {
    sink += codec.encode(scan).length;
  },
  decode: () => {
    sink += codec.decode(encodedOnce).pointCount;
  },
  encodeDecode: () => {
    sink += codec.decode(codec.encode(scan)).pointCount;
  },
  decodeView: () => {
    sink += viewCodec.decode(encodedOnce).pointCount;
  },
  encodeDecodeView: () => {
    sink += viewCodec.decode(viewCodec.encode(scan)).pointCount;
  },
};
type CaseName = keyof typeof cases;
const names = Object.keys(cases) as CaseName[];
const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<CaseName, number[]>;

for (let i = 0; i < WARMUP; i++) for (const n of names) cases[n]();
// Rounds of short blocks per case: load from other processes hits every case alike, and the
// garbage (and GC) of one case is mostly paid within its own block.
for (let done = 0; done < ITERATIONS; done += BLOCK) {
  for (const n of names) {
    for (let i = 0; i < Math.min(BLOCK, ITERATIONS - done); i++) samples[n].push(timeUs(cases[n]));
  }
}

const stats = Object.fromEntries(
  names.map((n) => [
    n,
    { medianUs: median(samples[n]), p10Us: percentile(samples[n], 0.1), p90Us: percentile(samples[n], 0.9) },
  ]),
) as Record<CaseName, { medianUs: number; p10Us: number; p90Us: number }>;
const ratio = stats.encodeDecode.medianUs / stats.allocAndCopy.medianUs;
const ratioVsMemcpy = stats.encodeDecode.medianUs / stats.copyOnly.medianUs;
const ratioView = stats.encodeDecodeView.medianUs / stats.allocAndCopy.medianUs;
// On a busy shared machine the fastest decile is the least disturbed estimate; reported beside the median.
const ratioP10 = stats.encodeDecode.p10Us / stats.allocAndCopy.p10Us;
const ratioViewP10 = stats.encodeDecodeView.p10Us / stats.allocAndCopy.p10Us;
const result = {
  benchmark: 'codec',
  command: ['node --conditions=source --import tsx bench/codec/index.ts', ...process.argv.slice(2)].join(' '),
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  loadAverage1m: os.loadavg()[0] ?? 0,
  points: POINTS,
  payloadBytes: scan.data.length,
  encodedBytes: encodedOnce.length,
  warmup: WARMUP,
  iterations: ITERATIONS,
  cases: stats,
  ratioEncodeDecodeVsAllocAndCopy: ratio,
  ratioEncodeDecodeVsCopyOnly: ratioVsMemcpy,
  ratioEncodeDecodeViewVsAllocAndCopy: ratioView,
  ratioEncodeDecodeVsAllocAndCopyP10: ratioP10,
  ratioEncodeDecodeViewVsAllocAndCopyP10: ratioViewP10,
  target: 'encode+decode <= 2x Buffer.copy (alloc + copy) of the same bytes',
  meetsTarget: ratio <= 2,
  sink: sink % 2,
};

const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');
fs.mkdirSync(resultsDir, { recursive: true });
fs.writeFileSync(path.join(resultsDir, 'codec.json'), `${JSON.stringify(result, null, 2)}\n`);
const row = (n: CaseName, what: string) =>
  `| ${what} | ${stats[n].medianUs.toFixed(0)} | ${stats[n].p10Us.toFixed(0)} | ${stats[n].p90Us.toFixed(0)} |`;
const md = `# bench/codec

\`${result.command}\` — ${result.date}, Node ${result.node}, ${result.cpu} (${result.cores} cores, 1-min load ${result.loadAverage1m.toFixed(2)}).

LidarScan of ${POINTS} points × ${STRIDE} B (x, y, z, intensity float32) = ${scan.data.length} B payload,
${encodedOnce.length} B single-object record. ${WARMUP} warm-up rounds, then ${ITERATIONS} timed operations per case in alternating blocks of ${BLOCK}; median, p10 and p90 per operation.

| operation | median µs | p10 µs | p90 µs |
|---|---:|---:|---:|
${row('copyOnly', 'Buffer.copy into a preallocated buffer (memcpy only)')}
${row('allocAndCopy', '**baseline**: Buffer.allocUnsafe + Buffer.copy')}
${row('encode', 'codec.encode')}
${row('decode', 'codec.decode')}
${row('encodeDecode', 'codec.encode + codec.decode')}
${row('decodeView', "codec.decode with { bytes: 'view' } (no payload copy)")}
${row('encodeDecodeView', "codec.encode + codec.decode with { bytes: 'view' }")}

**encode+decode / (alloc + copy) = ${ratio.toFixed(2)}×** at the median (target ≤ 2×: ${result.meetsTarget ? 'met' : 'not met'}), ${ratioP10.toFixed(2)}× at p10;
encode+decode / memcpy alone = ${ratioVsMemcpy.toFixed(2)}×;
encode+decode with \`{ bytes: 'view' }\` / (alloc + copy) = ${ratioView.toFixed(2)}× at the median, ${ratioViewP10.toFixed(2)}× at p10.

Encode copies the payload once (into the one exactly sized output buffer); decode copies it once
by default, not at all with \`{ bytes: 'view' }\`. Each copy-mode operation costs about one
baseline (a fresh 1.9 MB buffer plus one copy), so the default mode's floor is 2× the baseline;
it keeps the default because a copied payload is owned and 8-byte aligned (a Float32Array can view
it directly), while a view sits at an arbitrary offset inside the message and keeps it alive.
The 1-min load average above says how busy the shared machine was; under load, allocation of
fresh megabyte buffers (page faults, GC) dominates every row and the p10 column is the least
disturbed estimate.
`;
fs.writeFileSync(path.join(resultsDir, 'codec.md'), md);
console.log(md);
