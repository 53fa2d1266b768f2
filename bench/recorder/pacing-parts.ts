/**
 * bench/recorder/pacing-parts: the two parts of paced-replay timing measured alone, in one run.
 *   nice -n 10 node --conditions=source --import tsx bench/recorder/pacing-parts.ts
 * Env: BENCH_PARTS_SECONDS (per wait strategy, default 10).
 *
 * 1. Wait strategies on the camera 30 Hz + IMU 200 Hz schedule (sleep only, no replay): how late each
 *    wait ends and the inter-message error, with the process CPU per second. Strategies: timers only
 *    (the replay's 'low-cpu'), timer to a margin then event-loop turns (session 1), timer to a margin
 *    then spin slices with turns (the replay's 'precise'), timer to a margin then Atomics.wait for the
 *    rest (the thread sleeps in a futex: no spin); and 'auto' (precise, timers only while contended).
 * 2. Handing a 2 MB sweep from the reader thread to the pacing thread: structured clone of a view into
 *    the decompressed chunk (what the reader did) vs transfer of a packed buffer (what it does now),
 *    post-to-handler latency with the pacing thread idle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { systemClock } from '@sensorfuse/recorder';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '../results');
const SECONDS = Number(process.env.BENCH_PARTS_SECONDS ?? 10);
const nowUs = (): number => performance.now() * 1000;
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] ?? NaN;
};
let gcCount = 0;
new PerformanceObserver((list) => { gcCount += list.getEntries().length; }).observe({ entryTypes: ['gc'] });

const schedule: number[] = [];
for (let t = 0; t < SECONDS * 1e6; t += 33_333) schedule.push(t);
for (let t = 1_000; t < SECONDS * 1e6; t += 5_000) schedule.push(t);
schedule.sort((a, b) => a - b);

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const futex = new Int32Array(new SharedArrayBuffer(4));
const MARGIN_US = 3_000;
type Wait = (targetUs: number) => Promise<void>;
const lowCpu = systemClock({ pacing: 'low-cpu' });
const precise = systemClock({ pacing: 'precise', marginUs: MARGIN_US });
const auto = systemClock({ pacing: 'auto', marginUs: MARGIN_US });
const strategies: { id: string; label: string; wait: Wait }[] = [
  { id: 'timers', label: "timers only ('low-cpu')", wait: (t) => lowCpu.sleepUntilUs(t) },
  {
    id: 'turns', label: 'timer to 3 ms before, then event-loop turns (session 1)',
    wait: async (target) => {
      for (;;) {
        const r = target - nowUs();
        if (r <= 0) return;
        const ms = Math.floor((r - MARGIN_US) / 1000);
        await (ms >= 1 ? sleepMs(ms) : turn());
      }
    },
  },
  { id: 'slices', label: "timer to 3 ms before, then 250 µs spin slices + turns ('precise')", wait: (t) => precise.sleepUntilUs(t) },
  { id: 'auto', label: "'auto': 'precise', timers only for 5 s when > 3 in 10 spins are preempted", wait: (t) => auto.sleepUntilUs(t) },
  {
    id: 'atomics', label: 'timer to 3 ms before, then Atomics.wait (futex, no spin)',
    wait: async (target) => {
      for (;;) {
        const r = target - nowUs();
        if (r <= 0) return;
        const ms = Math.floor((r - MARGIN_US) / 1000);
        if (ms >= 1) {
          await sleepMs(ms);
          continue;
        }
        await turn();
        for (let rr = target - nowUs(); rr > 0; rr = target - nowUs()) Atomics.wait(futex, 0, 0, rr / 1000);
      }
    },
  },
];

const waits: { label: string; result: Record<string, number> }[] = [];
for (const s of strategies) {
  const start = nowUs() + 20_000;
  const cpu0 = process.cpuUsage();
  const gc0 = gcCount;
  const load0 = os.loadavg()[0] ?? NaN;
  const late: number[] = [];
  const gaps: number[] = [];
  let prev: number | undefined;
  let prevT = 0;
  for (const t of schedule) {
    await s.wait(start + t);
    const now = nowUs();
    late.push(now - start - t);
    if (prev !== undefined) gaps.push(Math.abs(now - prev - (t - prevT)));
    prev = now;
    prevT = t;
  }
  const cpu = process.cpuUsage(cpu0);
  const wallS = (nowUs() - start) / 1e6;
  const result = {
    lateP50Us: pct(late, 0.5), lateP99Us: pct(late, 0.99), interArrivalErrorP50Us: pct(gaps, 0.5), interArrivalErrorP99Us: pct(gaps, 0.99),
    cpuPerSecond: (cpu.user + cpu.system) / 1e6 / wallS, gcPauses: gcCount - gc0, backOffs: s.id === 'auto' ? (auto.governor?.backOffs ?? 0) : NaN, loadAvg1mStart: load0, loadAvg1mEnd: os.loadavg()[0] ?? NaN,
  };
  console.log(s.label, JSON.stringify(result));
  waits.push({ label: s.label, result });
}

// 2. reader thread → pacing thread handover of a 2 MB sweep
const WORKER = String.raw`
const { parentPort } = require('node:worker_threads');
const held = [];
parentPort.on('message', ({ mode }) => {
  const chunk = new Uint8Array(2_100_000).fill(3); // a decompressed chunk: the sweep and a few small records
  held.push(chunk); if (held.length > 4) held.shift();
  const value = Buffer.from(chunk.buffer, 1000, 1_900_000);
  if (mode === 'transfer') {
    const packed = new ArrayBuffer(value.length); new Uint8Array(packed).set(value); // done in the reader thread
    parentPort.postMessage({ sentAt: performance.timeOrigin + performance.now(), value: Buffer.from(packed) }, [packed]);
  } else parentPort.postMessage({ sentAt: performance.timeOrigin + performance.now(), value });
});`;
const worker = new Worker(WORKER, { eval: true });
const latency: Record<string, number[]> = { clone: [], transfer: [] };
const kept: unknown[] = [];
for (let round = 0; round < 6; round++) {
  const mode = round % 2 === 0 ? 'clone' : 'transfer';
  for (let i = 0; i < 50; i++) {
    const m = await new Promise<{ sentAt: number }>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ mode });
    });
    latency[mode]?.push(performance.timeOrigin + performance.now() - m.sentAt);
    kept.push(m);
    if (kept.length > 30) kept.shift();
  }
}
await worker.terminate();
const handover = Object.entries(latency).map(([mode, xs]) => ({ mode, p50Ms: pct(xs, 0.5), p90Ms: pct(xs, 0.9) }));
console.log(JSON.stringify(handover));

const meta = { command: 'nice -n 10 node --conditions=source --import tsx bench/recorder/pacing-parts.ts', date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, loadAvg1m: os.loadavg()[0], seconds: SECONDS, marginUs: MARGIN_US };
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'recorder-pacing-parts.json'), `${JSON.stringify({ meta, waits, handover }, null, 2)}\n`);
const keys = [...new Set(waits.flatMap((w) => Object.keys(w.result)))];
const fmt = (k: string, v: number | undefined): string => (v === undefined ? '' : k === 'cpuPerSecond' || k.startsWith('loadAvg') ? v.toFixed(2) : String(Math.round(v)));
const md = [
  '# bench/recorder/pacing-parts',
  '',
  `\`${meta.command}\` — ${meta.date}, Node ${meta.node}, ${meta.cpu} (${String(meta.cores)} cores, 1-min load at the end ${(meta.loadAvg1m ?? 0).toFixed(2)}), ${String(SECONDS)} s per strategy.`,
  '',
  '## Waiting for due times (camera 30 Hz + IMU 200 Hz schedule, sleep only)',
  '',
  `| figure | ${waits.map((w) => w.label).join(' | ')} |`,
  `|---|${waits.map(() => '---:').join('|')}|`,
  ...keys.map((k) => `| ${k} | ${waits.map((w) => fmt(k, w.result[k])).join(' | ')} |`),
  '',
  '## Reader thread → pacing thread, one 2 MB sweep (post to handler, pacing thread idle)',
  '',
  '| handover | p50 (ms) | p90 (ms) |',
  '|---|---:|---:|',
  ...handover.map((h) => `| ${h.mode} | ${h.p50Ms.toFixed(3)} | ${h.p90Ms.toFixed(3)} |`),
  '',
].join('\n');
fs.writeFileSync(path.join(outDir, 'recorder-pacing-parts.md'), md);
console.log(md);
