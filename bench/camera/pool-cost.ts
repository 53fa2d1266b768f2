/**
 * Where the CPU of one detector run goes: the bare onnxruntime-node session on the calling thread
 * against the InferencePool (its worker thread) with the camera worker's hand-over
 * (`runTransfer`, the 2.9 MB float32 tensor moved there and back) and with `run` (copied), each
 * with and without a 1 ms event-loop delay monitor running (as bench/camera's lag pass does), and
 * the bare session fed a fresh Float32Array per run (allocation + first-touch page faults). Ready
 * tensors, 1 intra-op thread, same session options as the pool (openBareSession).
 * CPU per run is split into the calling (event-loop) thread, from /proc/thread-self/schedstat, and
 * the rest of the process (the pool's inference thread); minor page faults from /proc/self/stat.
 * Rounds are interleaved; the median of each case is printed (no files written).
 * Run: `nice -n 10 npm run bench:pool-cost -w @sensorfuse/camera-worker` (BENCH_POOL_RUNS, BENCH_POOL_ROUNDS, BENCH_CAMERA_MODEL).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { InferencePool, defaultCardPath, float32Tensor, loadModelCard, openBareSession } from '@sensorfuse/inference';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env.BENCH_POOL_RUNS ?? 60);
const ROUNDS = Number(process.env.BENCH_POOL_ROUNDS ?? 5);
const modelPath = path.resolve(process.env.BENCH_CAMERA_MODEL ?? path.resolve(here, '../../models/sim-detector/sim-detector.onnx'));
const card = await loadModelCard(defaultCardPath(modelPath));
const input = card.inputs[0];
const dims = (input?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
const name = input?.name ?? 'images';
const size = dims.reduce((a, b) => a * b, 1);

const SCHEDSTAT = '/proc/thread-self/schedstat';
const threadCpuMs = (): number => (existsSync(SCHEDSTAT) ? Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) / 1e6 : Number.NaN);
const minorFaults = (): number => (existsSync('/proc/self/stat') ? Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[7]) : Number.NaN);

const tensors = Array.from({ length: 4 }, (_, k) => {
  const t = new Float32Array(size);
  for (let i = 0; i < size; i++) t[i] = ((i * 7 + k * 13) % 255) / 255;
  return t;
});
const moving: Float32Array[] = tensors.map((t) => t.slice());
const bare = await openBareSession(modelPath);
const pool = await InferencePool.open({ modelPath });

const cases: Record<string, (i: number) => Promise<unknown>> = {
  'bare session, reused tensor': (i) => bare.run({ [name]: float32Tensor(tensors[i % 4] as Float32Array, dims) }),
  'bare session, fresh Float32Array per run': (i) => {
    const t = new Float32Array(size);
    t.set(tensors[i % 4] as Float32Array);
    return bare.run({ [name]: float32Tensor(t, dims) });
  },
  'pool runTransfer (camera worker)': async (i) => {
    const k = i % 4;
    const r = await pool.runTransfer({ [name]: float32Tensor(moving[k] as Float32Array, dims) });
    moving[k] = r.inputs[name]?.data as Float32Array;
  },
  'pool run (copied in)': (i) => pool.run({ [name]: float32Tensor(tensors[i % 4] as Float32Array, dims) }),
};

interface Sample {
  cpuMs: number;
  mainMs: number;
  faults: number;
  wallMs: number;
}
const samples: Record<string, Sample[]> = {};
async function once(label: string, step: (i: number) => Promise<unknown>, lagMonitor: boolean): Promise<void> {
  for (let i = 0; i < 5; i++) await step(i);
  const lag = monitorEventLoopDelay({ resolution: 1 });
  if (lagMonitor) lag.enable();
  const c0 = process.cpuUsage();
  const m0 = threadCpuMs();
  const f0 = minorFaults();
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await step(i);
  const wallMs = (performance.now() - t0) / RUNS;
  const c = process.cpuUsage(c0);
  const sample = { cpuMs: (c.user + c.system) / 1000 / RUNS, mainMs: (threadCpuMs() - m0) / RUNS, faults: (minorFaults() - f0) / RUNS, wallMs };
  lag.disable();
  (samples[label] ??= []).push(sample);
}
const loadStart = loadavg()[0] ?? 0;
for (let r = 0; r < ROUNDS; r++) {
  for (const [label, step] of Object.entries(cases)) {
    await once(label, step, false);
    if (label.startsWith('pool')) await once(`${label} + 1 ms lag monitor`, step, true);
  }
}
await pool.close();
await bare.release();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(`${path.relative(path.resolve(here, '../..'), modelPath)} (${card.name}@${card.version ?? '?'}, input [${dims.join(', ')}]), ${String(RUNS)} runs x ${String(ROUNDS)} interleaved rounds, medians; load ${loadStart.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}, ${new Date().toISOString()}`);
console.log('| case | CPU ms/run (all threads) | event-loop thread | other threads (inference) | minor faults/run | wall ms/run |');
console.log('|---|---|---|---|---|---|');
for (const [label, s] of Object.entries(samples)) {
  const cpu = median(s.map((x) => x.cpuMs));
  const main = median(s.map((x) => x.mainMs));
  const other = median(s.map((x) => x.cpuMs - x.mainMs));
  console.log(`| ${label} | ${cpu.toFixed(2)} | ${main.toFixed(2)} | ${other.toFixed(2)} | ${median(s.map((x) => x.faults)).toFixed(0)} | ${median(s.map((x) => x.wallMs)).toFixed(2)} |`);
}
