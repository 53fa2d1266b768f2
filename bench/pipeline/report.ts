/**
 * bench/results/pipeline.md from the JSON report: the summary table with each target, then one
 * section per measurement, and every figure that misses its target with its measured reason
 * (which criterion failed, the per-hop latency breakdown and the per-process CPU).
 */
import type { LagVerdict } from './lib/stats.js';

interface Q {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
}

interface Step {
  readonly label: string;
  readonly rigs: number;
  readonly seconds: number;
  readonly sustained: boolean;
  readonly reasons: readonly string[];
  readonly sourceRealTime: number;
  readonly worstLag?: { readonly key: string; readonly maxLagS: number; readonly growthSPerS: number };
  readonly fusedPerS: number;
  readonly sweepsPerS: number;
  readonly cameraProcessedFraction: number;
  readonly fusedLatencyMs: Q;
  readonly fusedPublishLatencyMs: Q;
  readonly hopsMs: Readonly<Record<string, Q>>;
  readonly produceToHandlerMs: Readonly<Record<string, Q>>;
  readonly cpuCores: Readonly<Record<string, number>>;
  readonly rssMb: Readonly<Record<string, number>>;
  readonly machineBusy: number;
  readonly loadAverage: number;
}

interface BareStep {
  readonly rigs: number;
  readonly sustained: boolean;
  readonly sourceLimited: boolean;
  readonly sourceRealTime: number;
  readonly reasons: readonly string[];
  readonly cpuCores: Readonly<Record<string, number>>;
  readonly machineBusy: number;
}

interface Transport {
  readonly workload: string;
  readonly records: number;
  readonly bytes: number;
  readonly ratio: number;
  readonly bareBytesPerS: number;
  readonly alignBytesPerS: number;
  readonly rounds: readonly { readonly ratio: number; readonly bare: { readonly cpuCores: number; readonly frames: number }; readonly align: { readonly cpuCores: number; readonly frames: number; readonly complete: boolean } }[];
}

interface Workload {
  readonly name: string;
  readonly durationS: number;
  readonly bytesPerS: number;
  readonly lidarPointsMean: number;
  readonly cameraJpegBytesMean: number;
  readonly topics: Readonly<Record<string, { readonly perS: number; readonly bytesPerS: number }>>;
}

interface MemoryProcess {
  readonly rssMbStart: number;
  readonly rssMbEnd: number;
  readonly rssMbMax: number;
  readonly heapMbStart: number;
  readonly heapMbEnd: number;
  readonly rssGrowth: number;
  readonly heapGrowth: number;
}

interface Profile {
  readonly totalMs: number;
  readonly busyMs: number;
  readonly functions: readonly { readonly name: string; readonly selfMs: number; readonly fraction: number }[];
}

export interface Report {
  readonly profiles?: Readonly<Record<string, Profile | undefined>>;
  readonly mode: string;
  readonly command: string;
  readonly date: string;
  readonly runSeconds: number;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly memoryGb: number; readonly loadAverageStart: readonly number[]; readonly loadAverageEnd: readonly number[]; readonly node: string; readonly nice: number };
  readonly broker: string;
  readonly notes?: readonly string[];
  readonly plan: Record<string, number>;
  readonly workloads?: readonly Workload[];
  readonly transport?: readonly Transport[];
  readonly capacity?: number;
  readonly capacityConfirmed?: boolean;
  readonly steps?: readonly Step[];
  readonly bareSteps?: readonly BareStep[];
  readonly halfStep?: Step;
  readonly nominal?: number;
  readonly overloadRigs?: number;
  readonly overload?: {
    readonly cameraFramesIn: number;
    readonly cameraFramesProcessed: number;
    readonly cameraDroppedFraction: number;
    readonly cameraLag?: LagVerdict;
    readonly motionLag?: LagVerdict;
    readonly nominalP99Ms: number;
    readonly recoverySeconds?: number;
    readonly windows: readonly { readonly startS: number; readonly p99: number; readonly n: number }[];
    readonly cpuCores: Readonly<Record<string, number>>;
  };
  readonly memory?: { readonly rigs: number; readonly seconds: number; readonly warmUpS: number; readonly processes: Readonly<Record<string, MemoryProcess>>; readonly lagBounded: boolean; readonly lag: Readonly<Record<string, LagVerdict>>; readonly sourceRealTime: number; readonly fusedLatencyMs: Q };
  readonly embedded?: { readonly error?: string; readonly fusedPerS?: number; readonly sweepsPerS?: number; readonly fusedLatencyMs?: Q; readonly cpuCores?: number; readonly cameraObsPerS?: number; readonly cameraPerS?: number; readonly rssMb?: number };
}

const f = (x: number | undefined, digits = 0): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));
const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(0)} %`);
const mbs = (x: number): string => `${(x / 1e6).toFixed(1)} MB/s`;
const ok = (pass: boolean | undefined): string => (pass === undefined ? '—' : pass ? 'met' : '**missed**');
const cpuList = (cpu: Readonly<Record<string, number>>): string =>
  Object.entries(cpu)
    .filter(([, v]) => Number.isFinite(v))
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
const hops = (s: Step): string =>
  [
    ...Object.entries(s.hopsMs).map(([t, q]) => `${t} publish−capture p50/p99 ${f(q.p50)}/${f(q.p99)} ms`),
    `fused publish−capture ${f(s.fusedPublishLatencyMs.p50)}/${f(s.fusedPublishLatencyMs.p99)} ms`,
  ].join('; ');

/** "top functions of <process>: a 31 %, b 12 %, c 8 %" from its CPU profile, or '' without one. */
function topOf(r: Report, prefix: string, n = 3): string {
  const entry = Object.entries(r.profiles ?? {}).find(([k, v]) => k.startsWith(prefix) && v !== undefined);
  if (entry?.[1] === undefined) return '';
  return ` Profile of ${entry[0]} (self time, share of its busy time): ${entry[1].functions.slice(0, n).map((x) => `${x.name} ${pct(x.fraction)}`).join(', ')}.`;
}

const WORKER_OF_TOPIC: Readonly<Record<string, string>> = { 'obs.lidar': 'lidar-worker', 'obs.camera': 'camera-worker', 'obs.audio': 'audio-worker', 'obs.motion': 'motion-worker' };

export function renderMarkdown(r: Report): string {
  const misses: string[] = [];
  const out: string[] = [];
  const one = r.steps?.find((s) => s.rigs === 1);
  const transportRig = r.transport?.find((t) => t.workload === 'rig');
  const loaded = r.machine.loadAverageStart[0] !== undefined && r.machine.loadAverageStart[0] > r.machine.cores * 0.5;
  out.push(
    `# Pipeline benchmark (${r.mode}${r.mode === 'quick' ? ', development figures' : ''})`,
    '',
    `- Date: ${r.date} (run took ${f(r.runSeconds)} s)`,
    `- Machine: ${r.machine.cpu}, ${String(r.machine.cores)} cores, ${f(r.machine.memoryGb, 1)} GiB memory, Node ${r.machine.node}, nice ${String(r.machine.nice)}`,
    `- Load average (1/5/15 min) at start ${r.machine.loadAverageStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${r.machine.loadAverageEnd.map((x) => x.toFixed(2)).join(' / ')}${loaded ? ' — **the machine was shared with other jobs: figures are lower bounds**' : ''}`,
    `- Command: \`${r.command}\``,
    `- Broker: ${r.broker}`,
    ...(r.notes ?? []).map((n) => `- Note: ${n}`),
    '',
  );
  if (r.mode === 'quick') out.push('Quick mode: short steps (seconds, not the 5-minute capacity steps and the 10-minute memory run of the full mode). Use it to develop, not to size a deployment.', '');

  // Summary.
  const half = r.halfStep ?? (r.capacity !== undefined && r.capacity < 4 ? one : undefined);
  const rows: [string, string, string, boolean | undefined][] = [];
  if (transportRig) rows.push(['1. consume + decode + align / bare kafkajs, bytes/s (rig)', f(transportRig.ratio, 2), '≥ 0.5', transportRig.ratio >= 0.5]);
  const kittiT = r.transport?.find((t) => t.workload === 'kitti-class');
  if (kittiT) rows.push(['1. same, KITTI-class LIDAR', f(kittiT.ratio, 2), '≥ 0.5', kittiT.ratio >= 0.5]);
  const bareOnset = r.bareSteps?.find((s) => !s.sustained);
  const bareLast = r.bareSteps?.at(-1);
  rows.push([
    `2. capacity: rigs sustained in real time, full pipeline over Kafka (scan steps of ${String(r.plan.scanStepS)} s${r.memory ? `, confirmed by the ${String(r.memory.seconds)} s nominal run` : ''})`,
    String(r.capacity ?? '—'),
    `bare kafkajs lags at ${bareOnset ? `${String(bareOnset.rigs)} rig${bareOnset.rigs === 1 ? '' : 's'}${bareOnset.sourceLimited ? ' (source-limited: the replay could not feed more)' : ''}` : `> ${String(bareLast?.rigs ?? '—')} rigs`}`,
    r.capacityConfirmed,
  ]);
  if (one) {
    rows.push(['replay source at 1 rig: share of real time it published (precondition of every figure)', pct(one.sourceRealTime), '≥ 90 %', one.sourceRealTime >= 0.9]);
    rows.push(['3. capture → fused p50, 1 rig (ms)', f(one.fusedLatencyMs.p50), '≤ 60', one.fusedLatencyMs.p50 <= 60]);
    rows.push(['3. capture → fused p99, 1 rig (ms)', f(one.fusedLatencyMs.p99), '≤ 100', one.fusedLatencyMs.p99 <= 100]);
    const worstTopic = Object.entries(one.produceToHandlerMs).sort((a, b) => b[1].p99 - a[1].p99)[0];
    if (worstTopic) rows.push([`3. produce → handler p99, 1 rig, worst topic (${worstTopic[0]}) (ms)`, f(worstTopic[1].p99), '≤ 10', worstTopic[1].p99 <= 10]);
  }
  if (half) rows.push([`3. capture → fused p99 at half capacity (${r.halfStep ? `${String(half.rigs)} rigs` : 'capacity < 4: the 1-rig step'}) (ms)`, f(half.fusedLatencyMs.p99), '≤ 150', half.fusedLatencyMs.p99 <= 150]);
  if (r.overload) {
    const o = r.overload;
    rows.push([`4. overload ${String(r.overloadRigs)} rigs: camera frames dropped (not queued)`, pct(o.cameraDroppedFraction), 'camera lag bounded', o.cameraLag?.bounded]);
    rows.push(['4. overload: IMU/GNSS (raw.motion) lag max (s)', f(o.motionLag?.maxLagS, 2), 'bounded', o.motionLag?.bounded]);
    rows.push(['4. overload → nominal: fused p99 back within (s)', o.recoverySeconds === undefined ? 'not in window' : f(o.recoverySeconds), '≤ 10', o.recoverySeconds !== undefined && o.recoverySeconds <= 10]);
  }
  if (r.memory) {
    const worst = Object.entries(r.memory.processes).sort((a, b) => b[1].rssGrowth - a[1].rssGrowth)[0];
    if (worst) rows.push([`5. memory: largest RSS growth after warm-up (${worst[0]}, ${String(r.memory.seconds)} s)`, pct(worst[1].rssGrowth), '< 10 %', worst[1].rssGrowth < 0.1]);
    const worstHeap = Object.entries(r.memory.processes).sort((a, b) => b[1].heapGrowth - a[1].heapGrowth)[0];
    if (worstHeap) rows.push([`5. memory: largest heap growth (${worstHeap[0]})`, pct(worstHeap[1].heapGrowth), '< 10 %', worstHeap[1].heapGrowth < 0.1]);
  }
  if (r.embedded?.fusedLatencyMs && one) {
    rows.push(['6. 1 rig, fused frames/s: embedded (MemoryBus) vs Kafka', `${f(r.embedded.fusedPerS, 1)} vs ${f(one.fusedPerS, 1)}`, `sweeps/s published: ${f(r.embedded.sweepsPerS, 1)} vs ${f(one.sweepsPerS, 1)}`, undefined]);
    rows.push(['6. 1 rig, capture → fused p50/p99 (ms): embedded vs Kafka', `${f(r.embedded.fusedLatencyMs.p50)}/${f(r.embedded.fusedLatencyMs.p99)} vs ${f(one.fusedLatencyMs.p50)}/${f(one.fusedLatencyMs.p99)}`, 'the cost of Kafka', undefined]);
  }
  out.push('## Summary', '', '| figure | measured | target / baseline | status |', '| --- | ---: | --- | --- |', ...rows.map(([a, b, c, d]) => `| ${a} | ${b} | ${c} | ${ok(d)} |`), '');

  // Workload.
  if (r.workloads) {
    out.push('## Workload (recorded once, replayed for every measurement)', '', '| workload | recorded s | MB/s per rig | LIDAR points/sweep | JPEG kB | records/s per topic |', '| --- | ---: | ---: | ---: | ---: | --- |');
    for (const w of r.workloads) {
      out.push(`| ${w.name} | ${String(w.durationS)} | ${f(w.bytesPerS / 1e6, 1)} | ${f(w.lidarPointsMean)} | ${f(w.cameraJpegBytesMean / 1e3, 1)} | ${Object.entries(w.topics).map(([t, x]) => `${t} ${f(x.perS)}`).join(', ')} |`);
    }
    out.push('', 'N rigs = N replays of the one recording, each re-keyed to its own rig id (key and `rigId`), re-timed to now, looped with `seq` continued (bench/pipeline/source.ts).', '');
  }

  // 1. Transport.
  if (r.transport) {
    out.push('## 1. Transport: the pipeline\'s consume path vs bare kafkajs', '', 'Topics pre-filled with the recording (4 partitions); each consumer drains them in a fresh group, bytes/s from its first to its last record. Bare: kafkajs eachBatch, count and discard. Pipeline path: KafkaBus.subscribe with its backpressure and a commit per record, Avro decode of every record, alignByPivot per rig with the fusion worker\'s windows; no inference, no point-cloud chain.', '', '| workload | records | MB | bare kafkajs | consume+decode+align | ratio (target ≥ 0.5) | CPU cores bare / align | aligned frames | rounds |', '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |');
    for (const t of r.transport) {
      const mid = t.rounds[Math.floor(t.rounds.length / 2)];
      out.push(`| ${t.workload} | ${String(t.records)} | ${f(t.bytes / 1e6)} | ${mbs(t.bareBytesPerS)} | ${mbs(t.alignBytesPerS)} | ${f(t.ratio, 2)} | ${f(mid?.bare.cpuCores, 2)} / ${f(mid?.align.cpuCores, 2)} | ${String(mid?.align.frames ?? '—')} | ${t.rounds.map((x) => x.ratio.toFixed(2)).join(', ')} |`);
      if (t.ratio < 0.5) misses.push(`Transport ratio ${t.workload} ${f(t.ratio, 2)} < 0.5: the consume path used ${f(mid?.align.cpuCores, 2)} cores against ${f(mid?.bare.cpuCores, 2)} for bare kafkajs (decode copies every byte field, a commit per record, the aligner per record).${topOf(r, `consume+decode+align drain, ${t.workload}`)}`);
    }
    out.push('');
  }

  // 2. Capacity.
  if (r.steps) {
    out.push('## 2. Capacity (full pipeline: camera, LIDAR, audio, motion and fusion workers, each its own process over Kafka)', '', `A step is sustained when, after warm-up: every consumer group's lag stays under 2 s of input and does not grow faster than 0.05 s/s; the fusion worker emits a frame for ≥ 90 % of the sweeps; the camera worker processes ≥ 50 % of its frames (it drops stale frames by design); and the replay source itself keeps ≥ 90 % of real time. Capacity: **${String(r.capacity)}** rig(s).`, '', '| step | rigs | s | sustained | source real time | fused/s (sweeps/s) | camera processed | worst lag (s, growth s/s) | capture→fused p50/p99 ms | CPU cores per process | machine busy | why |', '| --- | ---: | ---: | --- | ---: | --- | ---: | --- | --- | --- | ---: | --- |');
    for (const s of [...r.steps, ...(r.halfStep ? [r.halfStep] : [])]) {
      out.push(`| ${s.label} | ${String(s.rigs)} | ${String(s.seconds)} | ${s.sustained ? 'yes' : 'no'} | ${pct(s.sourceRealTime)} | ${f(s.fusedPerS, 1)} (${f(s.sweepsPerS, 1)}) | ${pct(s.cameraProcessedFraction)} | ${s.worstLag ? `${s.worstLag.key} ${f(s.worstLag.maxLagS, 2)} (${f(s.worstLag.growthSPerS, 3)})` : '—'} | ${f(s.fusedLatencyMs.p50)}/${f(s.fusedLatencyMs.p99)} | ${cpuList(s.cpuCores)} | ${pct(s.machineBusy)} | ${s.reasons.join('; ')} |`);
    }
    out.push('');
    if (r.capacityConfirmed === false) misses.push(`Capacity ${String(r.capacity)} was not confirmed by the ${String(r.memory?.seconds ?? '—')} s run at that load: ${Object.entries(r.memory?.lag ?? {}).filter(([, v]) => !v.bounded).map(([k, v]) => `${k}: ${v.reason}`).join('; ') || `source at ${pct(r.memory?.sourceRealTime)} of real time`}. Size with ${String(Math.max(0, (r.capacity ?? 1) - 1))}.`);
    const failed = r.steps.find((s) => !s.sustained);
    if (failed) {
      const busiest = Object.entries(failed.cpuCores).filter(([k]) => k.endsWith('-worker')).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'lidar-worker';
      misses.push(`Capacity stops at ${String(r.capacity)}: ${String(failed.rigs)} rig(s) not sustained — ${failed.reasons.join('; ')}. CPU cores: ${cpuList(failed.cpuCores)}; machine ${pct(failed.machineBusy)} busy, load ${f(failed.loadAverage, 1)} on ${String(r.machine.cores)} cores.${topOf(r, busiest)}${failed.sourceRealTime < 0.9 ? topOf(r, `source (${failed.label})`) : ''}`);
    }
  }
  if (r.bareSteps) {
    out.push('### Bare kafkajs loop under the same replayed rigs (its own topics and group)', '', '| rigs | keeps up | source real time | CPU cores | machine busy | why |', '| ---: | --- | ---: | --- | ---: | --- |');
    for (const s of r.bareSteps) out.push(`| ${String(s.rigs)} | ${s.sustained ? 'yes' : 'no'} | ${pct(s.sourceRealTime)} | ${cpuList(s.cpuCores)} | ${pct(s.machineBusy)} | ${s.reasons.length === 0 ? '—' : s.reasons.join('; ')} |`);
    out.push('', 'When the source (the replay that plays the rigs, a child process of its own) cannot publish at real time, the bare loop\'s own limit is not reached: the row says "source-limited".', '');
  }

  // 3. Latency.
  if (one) {
    out.push('## 3. Latency at 1 rig', '', `capture → fused (received by a downstream read_committed reader): p50 ${f(one.fusedLatencyMs.p50)} ms, p99 ${f(one.fusedLatencyMs.p99)} ms (n = ${String(one.fusedLatencyMs.n)}); capture → fusion publish: ${f(one.fusedPublishLatencyMs.p50)}/${f(one.fusedPublishLatencyMs.p99)} ms.`, '', '| topic | produce → handler p50 ms | p99 ms (target ≤ 10) | n | worker publish − capture p50/p99 ms |', '| --- | ---: | ---: | ---: | --- |');
    for (const [t, q] of Object.entries(one.produceToHandlerMs).sort()) {
      const hop = one.hopsMs[t];
      out.push(`| ${t} | ${f(q.p50, 1)} | ${f(q.p99, 1)} | ${String(q.n)} | ${hop ? `${f(hop.p50)}/${f(hop.p99)}` : '—'} |`);
      if (q.p99 > 10) misses.push(`produce → handler p99 on ${t} = ${f(q.p99, 1)} ms > 10 ms at 1 rig (p50 ${f(q.p50, 1)} ms; machine ${pct(one.machineBusy)} busy; CPU ${cpuList(one.cpuCores)}).`);
    }
    out.push('');
    if (one.fusedLatencyMs.p50 > 60 || one.fusedLatencyMs.p99 > 100) {
      const slowest = Object.entries(one.hopsMs).sort((a, b) => b[1].p50 - a[1].p50)[0]?.[0] ?? 'obs.lidar';
      misses.push(`capture → fused at 1 rig p50/p99 ${f(one.fusedLatencyMs.p50)}/${f(one.fusedLatencyMs.p99)} ms (targets 60/100). Breakdown: ${hops(one)}. CPU cores: ${cpuList(one.cpuCores)}; machine ${pct(one.machineBusy)} busy, load ${f(one.loadAverage, 1)}.${topOf(r, WORKER_OF_TOPIC[slowest] ?? 'lidar-worker')}${topOf(r, 'fusion-worker')}`);
    }
    if (half && half.fusedLatencyMs.p99 > 150) misses.push(`capture → fused p99 at half capacity (${String(half.rigs)} rig(s)) ${f(half.fusedLatencyMs.p99)} ms > 150. Breakdown: ${hops(half)}. CPU: ${cpuList(half.cpuCores)}.`);
  }

  // 4. Overload.
  if (r.overload) {
    const o = r.overload;
    out.push(`## 4. Overload: ${String(r.overloadRigs)} rigs for ${String(r.plan.overloadS)} s, then ${String(r.nominal)} (nominal) for ${String(r.plan.recoverS)} s`, '', `- Camera: ${String(o.cameraFramesProcessed)} of ${String(o.cameraFramesIn)} frames processed during the overload (${pct(o.cameraDroppedFraction)} dropped as stale); camera group lag max ${f(o.cameraLag?.maxLagS, 2)} s, growth ${f(o.cameraLag?.growthSPerS, 3)} s/s → ${o.cameraLag?.bounded ? 'dropped, not queued' : '**queued**'}.`, `- IMU/GNSS (raw.motion): lag max ${f(o.motionLag?.maxLagS, 2)} s, growth ${f(o.motionLag?.growthSPerS, 3)} s/s → ${o.motionLag?.bounded ? 'bounded' : '**not bounded**'}.`, `- Fused p99 per 2 s window (nominal p99 ${f(o.nominalP99Ms)} ms, recovered = every later window within +20 %): ${o.windows.map((w) => `${f(w.startS)} s: ${f(w.p99)}`).join(', ')} → back after ${o.recoverySeconds === undefined ? '**not within the window**' : `${f(o.recoverySeconds)} s`}.`, `- CPU cores during the overload: ${cpuList(o.cpuCores)}.`, '');
    if (!o.cameraLag?.bounded) misses.push(`Overload: camera lag not bounded (${o.cameraLag?.reason ?? 'no samples'}).`);
    if (!o.motionLag?.bounded) misses.push(`Overload: IMU/GNSS lag not bounded (${o.motionLag?.reason ?? 'no samples'}); CPU ${cpuList(o.cpuCores)}.`);
    if (o.recoverySeconds === undefined || o.recoverySeconds > 10) misses.push(`Overload: fused p99 back to nominal after ${o.recoverySeconds === undefined ? 'more than the measured window' : `${f(o.recoverySeconds)} s`} (target 10 s); windows: ${o.windows.map((w) => `${f(w.startS)} s ${f(w.p99)} ms`).join(', ')}.`);
  }

  // 5. Memory.
  if (r.memory) {
    const m = r.memory;
    out.push(`## 5. Memory: ${String(m.rigs)} rig(s) for ${String(m.seconds)} s (growth = mean of the last quarter over the first quarter after ${String(m.warmUpS)} s of warm-up)`, '', `Lag bounded over the whole run: ${m.lagBounded ? 'yes' : '**no**'}; source ${pct(m.sourceRealTime)} of real time; capture → fused p50/p99 ${f(m.fusedLatencyMs.p50)}/${f(m.fusedLatencyMs.p99)} ms.`, '', '| process | RSS MB after warm-up → end (max) | RSS growth (target < 10 %) | heap MB after warm-up → end | heap growth |', '| --- | --- | ---: | --- | ---: |');
    for (const [name, p] of Object.entries(m.processes)) {
      out.push(`| ${name} | ${f(p.rssMbStart)} → ${f(p.rssMbEnd)} (${f(p.rssMbMax)}) | ${pct(p.rssGrowth)} | ${f(p.heapMbStart)} → ${f(p.heapMbEnd)} | ${pct(p.heapGrowth)} |`);
      if (p.rssGrowth >= 0.1 || p.heapGrowth >= 0.1) misses.push(`Memory: ${name} grew RSS ${pct(p.rssGrowth)}, heap ${pct(p.heapGrowth)} over ${String(m.seconds)} s (${f(p.rssMbStart)} → ${f(p.rssMbEnd)} MB RSS)${r.mode === 'quick' ? ' — a quick run is too short to tell a leak from warm-up (JIT, pools, caches)' : ''}.`);
    }
    out.push('');
  }

  // 6. Embedded.
  if (r.embedded) {
    const e = r.embedded;
    out.push('## 6. Embedded mode (MemoryBus, one process) vs Kafka, 1 rig', '');
    if (e.error !== undefined) out.push(`Embedded run failed: ${e.error}`, '');
    else out.push('| mode | fused frames/s (sweeps/s) | camera frames processed | capture → fused p50/p99 ms | CPU cores |', '| --- | --- | --- | --- | --- |', `| embedded | ${f(e.fusedPerS, 1)} (${f(e.sweepsPerS, 1)}) | ${pct(e.cameraPerS !== undefined && e.cameraObsPerS !== undefined && e.cameraPerS > 0 ? e.cameraObsPerS / e.cameraPerS : undefined)} | ${f(e.fusedLatencyMs?.p50)}/${f(e.fusedLatencyMs?.p99)} | ${f(e.cpuCores, 2)} (one process) |`, ...(one ? [`| Kafka (scan 1) | ${f(one.fusedPerS, 1)} (${f(one.sweepsPerS, 1)}) | ${pct(one.cameraProcessedFraction)} | ${f(one.fusedLatencyMs.p50)}/${f(one.fusedLatencyMs.p99)} | ${f(Object.values(one.cpuCores).filter(Number.isFinite).reduce((a, b) => a + b, 0), 2)} (all processes) |`] : []), '');
  }

  if (r.profiles !== undefined && Object.keys(r.profiles).length > 0) {
    out.push('## CPU profiles (node --cpu-prof, 10 ms sampling; self time, share of each process\'s busy time)', '', '| process | busy s | hottest functions |', '| --- | ---: | --- |');
    for (const [name, p] of Object.entries(r.profiles)) {
      if (p === undefined) continue;
      out.push(`| ${name} | ${f(p.busyMs / 1000, 1)} | ${p.functions.slice(0, 6).map((x) => `${x.name.replace(/\|/g, '\\|')} ${pct(x.fraction)}`).join('; ')} |`);
    }
    out.push('');
  }

  out.push('## Figures that miss their target, with the measured reason', '');
  out.push(...(misses.length === 0 ? ['None.'] : misses.map((m) => `- ${m}`)), '');
  return out.join('\n');
}
