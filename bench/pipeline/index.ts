/**
 * bench/pipeline: the whole pipeline sized the way a user would size it, every figure next to its
 * baseline measured in the same run (issue 12).
 *
 *   node --conditions=source --import tsx bench/pipeline/index.ts [--quick]
 *   (--render-only: rewrite pipeline.md from pipeline.json)
 *
 * Starts its own Kafka and Redis on free loopback ports unless KAFKA_BROKERS / REDIS_URL are set,
 * and stops what it started. Writes bench/results/pipeline.json and bench/results/pipeline.md.
 *
 * 0. Workload: one simulated rig (camera 12 Hz 640x384 JPEG, 32-beam LIDAR 20 Hz ~34k points, 4-ch
 *    16 kHz audio in 100 ms chunks, IMU 200 Hz, GNSS 10 Hz) and a KITTI-class variant (64 beams,
 *    10 Hz, ~120k points), each recorded once to MCAP with @sensorfuse/recorder; every measurement
 *    replays those files (source.ts: N rigs = N re-keyed replays of one recording).
 * 1. Transport: topics pre-filled with the recording; a bare kafkajs eachBatch consume-and-discard
 *    loop vs the pipeline's consume + decode + align path (consumer.ts), bytes/s, alternating order.
 * 2. Capacity: the real services (their src/main.ts) as child processes over Kafka; 1, 2, 3… rigs
 *    replayed at 1× until a step is not sustained (lag bounded for every group, fused frames for
 *    every sweep, camera processing at least half its frames, the source itself at real time);
 *    next to the rig count at which the bare kafkajs loop starts to lag.
 * 3. Latency: capture → fused (as a downstream reader receives it) at 1 rig and at half capacity;
 *    produce → handler per topic at 1 rig; per-hop breakdown from the records' publish times.
 * 4. Overload: 1.5× capacity for a while, then nominal: camera drops vs queueing, IMU/GNSS lag,
 *    how long fused p99 takes to come back.
 * 5. Memory: RSS and heap of every process at nominal load, growth after warm-up.
 * 6. Embedded: the same rig on the MemoryBus in one process (embedded.ts).
 * Every child runs with a probe (probe.ts) that reports its CPU time and memory, so each step has
 * a per-process CPU breakdown and a figure that misses its target is listed with its reason.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CalibrationRegistry } from '@sensorfuse/fusion-worker';
import { ensureInfra, freeLoopbackPort, type Infra } from '@sensorfuse/infra';
import { replay } from '@sensorfuse/recorder';
import { RedisStateStore } from '@sensorfuse/state';
import { KafkaBus } from '@sensorfuse/transport';
import type { ConsumerReport } from './consumer.js';
import type { EmbeddedReport } from './embedded.js';
import { LagMonitor, lagKey, type GroupTopic } from './kafka-lag.js';
import { capacityOf, growthAfterWarmUp, judgeLag, nextRigCount, percentile, recoverySeconds, type LagCriterion, type LagVerdict, type StepOutcome } from './lib/stats.js';
import { Observer, type Observation } from './observer.js';
import { REPO_ROOT, cpuWindow, logTail, machineCpuReader, procSample, profileOf, spawnChild, stopChild, type Child } from './processes.js';
import { renderMarkdown } from './report.js';
import type { ProbeSample } from './probe.js';
import type { SourceReport } from './source.js';
import { RAW_TOPICS, audioWorkerFallbackEnv, fusionWorkerExtraEnv, recordWorkload, type RecordedWorkload } from './workload.js';

const QUICK = process.argv.includes('--quick');
/** Development aid: BENCH_PIPELINE_PHASES=scan,overload runs only those phases (default: all). */
const PHASES = new Set((process.env.BENCH_PIPELINE_PHASES ?? 'transport,scan,bare,half,overload,memory,embedded').split(',').map((p) => p.trim()));
const phase = (name: string): boolean => PHASES.has(name);
const COMMAND = `node --conditions=source --import tsx bench/pipeline/index.ts${QUICK ? ' --quick' : ''}`;

/** Durations (s) and limits of one run; quick is for development, full for the README. */
export const PLAN = QUICK
  ? { recordS: 12, kittiRecordS: 6, transportRounds: 1, scanStepS: 20, scanWarmUpS: 7, maxRigs: 4, bareStepS: 14, bareWarmUpS: 5, maxBareRigs: 4, halfS: 20, overloadS: 20, recoverS: 20, memoryS: 45, memoryWarmUpS: 15, embeddedS: 20, embeddedWarmUpS: 6, drainS: 20 }
  : { recordS: 60, kittiRecordS: 20, transportRounds: 3, scanStepS: 45, scanWarmUpS: 10, maxRigs: 8, bareStepS: 25, bareWarmUpS: 8, maxBareRigs: 12, halfS: 60, overloadS: 60, recoverS: 60, memoryS: 600, memoryWarmUpS: 60, embeddedS: 60, embeddedWarmUpS: 10, drainS: 60 };
export type Plan = typeof PLAN;

/** Lag criterion: at most 2 s of input behind, and not falling further behind by more than 0.05 s per s. */
const LAG: Omit<LagCriterion, 'warmUpS'> = { maxLagS: 2, maxGrowthSPerS: 0.05 };
const SOURCE_REAL_TIME_MIN = 0.9;
const FUSED_FRACTION_MIN = 0.9;
const CAMERA_FRACTION_MIN = 0.5;
const PARTITIONS = 4;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string): void => {
  console.log(`[bench:pipeline ${new Date().toISOString().slice(11, 19)}] ${line}`);
};

export interface Quantiles {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
}
const quantiles = (xs: readonly number[]): Quantiles => ({ n: xs.length, p50: percentile(xs, 0.5), p99: percentile(xs, 0.99) });

export interface StepResult {
  readonly label: string;
  readonly rigs: number;
  readonly seconds: number;
  readonly warmUpS: number;
  readonly sustained: boolean;
  readonly reasons: readonly string[];
  /** Published / recorded rate, worst topic (1 = the source kept real time). */
  readonly sourceRealTime: number;
  readonly lag: Readonly<Record<string, LagVerdict>>;
  readonly worstLag: { readonly key: string; readonly maxLagS: number; readonly growthSPerS: number } | undefined;
  readonly fusedPerS: number;
  readonly sweepsPerS: number;
  readonly cameraProcessedFraction: number;
  /** capture → fused frame received by a downstream reader, ms. */
  readonly fusedLatencyMs: Quantiles;
  /** capture → fusion worker publishTimeUs, ms. */
  readonly fusedPublishLatencyMs: Quantiles;
  /** Per observation topic: worker publishTimeUs − captureTimeUs, ms. */
  readonly hopsMs: Readonly<Record<string, Quantiles>>;
  /** Per topic: consumer handler time − producer timestamp, ms. */
  readonly produceToHandlerMs: Readonly<Record<string, Quantiles>>;
  /** Per process: CPU cores used (1 = one core busy) over the measured window. */
  readonly cpuCores: Readonly<Record<string, number>>;
  readonly rssMb: Readonly<Record<string, number>>;
  /** Busy fraction of the whole machine (every process, other users too) over the step. */
  readonly machineBusy: number;
  readonly loadAverage: number;
  readonly drainedAfterS: number | undefined;
}

interface Pipeline {
  readonly workers: Child[];
  readonly groups: readonly GroupTopic[];
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const runId = `bp${Date.now().toString(36)}`;
  // BENCH_PIPELINE_DIR (development): keep logs and recordings there and reuse the recordings.
  const keptDir = process.env.BENCH_PIPELINE_DIR;
  const logDir = keptDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pipeline-'));
  fs.mkdirSync(logDir, { recursive: true });
  log(`${QUICK ? 'quick' : 'full'} run ${runId}; child logs and recordings in ${logDir}`);
  const infra: Infra = await ensureInfra({
    log: (line) => {
      log(`infra: ${line}`);
    },
  });
  const brokers = [...infra.kafkaBrokers];
  const children: Child[] = [];
  // The observer never waits for its commits: one OffsetCommit request a second is plenty.
  const bus = new KafkaBus({ brokers, clientId: `${runId}-bench`, logLevel: 'error', commitIntervalMs: 1000 });
  const lag = new LagMonitor(brokers);
  const observer = new Observer(bus, `${runId}.`);
  const machine = machineCpuReader();
  let store: RedisStateStore | undefined;
  let rigWorkload: RecordedWorkload | undefined;
  /** CPU profiles (top self-time functions) per process, from node --cpu-prof. */
  const profiles: Record<string, ReturnType<typeof profileOf>> = {};
  const result: Record<string, unknown> = {};
  // The bench process's own CPU, sampled like the children's (observer and lag monitor run here).
  const self: ProbeSample[] = [];
  // The broker and Redis this run started (not external ones: their CPU is shared with other users).
  const infraSamples: { readonly name: string; readonly pid: number; readonly samples: ProbeSample[] }[] = [
    ...(infra.kafka === undefined ? [] : [{ name: 'kafka broker (JVM)', pid: infra.kafka.pid, samples: [] }]),
    ...(infra.redis === undefined ? [] : [{ name: 'redis', pid: infra.redis.pid, samples: [] }]),
  ];
  const selfTimer = setInterval(() => {
    const cpu = process.cpuUsage();
    const m = process.memoryUsage();
    self.push({ type: 'probe', pid: process.pid, atMs: Date.now(), cpuUserUs: cpu.user, cpuSystemUs: cpu.system, rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external });
    for (const p of infraSamples) {
      const sample = procSample(p.pid);
      if (sample !== undefined) p.samples.push(sample);
    }
  }, 1000);
  try {
    await lag.connect();
    // 0. Workload, recorded once.
    const rigRec = await recordWorkload('rig', PLAN.recordS, path.join(logDir, 'rig.mcap'), keptDir !== undefined);
    rigWorkload = rigRec;
    log(`recorded rig: ${String(PLAN.recordS)} s, ${(rigRec.bytesPerS / 1e6).toFixed(1)} MB/s, ${rigRec.lidarPointsMean.toFixed(0)} points/sweep, ${(rigRec.cameraJpegBytesMean / 1e3).toFixed(1)} kB/JPEG (${rigRec.recordSeconds.toFixed(0)} s)`);
    const kitti = await recordWorkload('kitti-class', PLAN.kittiRecordS, path.join(logDir, 'kitti-class.mcap'), keptDir !== undefined);
    log(`recorded kitti-class: ${String(PLAN.kittiRecordS)} s, ${(kitti.bytesPerS / 1e6).toFixed(1)} MB/s, ${kitti.lidarPointsMean.toFixed(0)} points/sweep (${kitti.recordSeconds.toFixed(0)} s)`);
    result.workloads = [rigRec, kitti].map((w) => ({ ...w, calibration: undefined, path: undefined }));

    // 1. Transport.
    if (phase('transport')) result.transport = [await measureTransport(rigRec, `${runId}.t-rig.`), await measureTransport(kitti, `${runId}.t-kitti.`)];

    // 2.–5. The deployed pipeline: workers as child processes over Kafka.
    store = await RedisStateStore.connect(infra.redisUrl, { keyPrefix: `${runId}:` });
    const registry = new CalibrationRegistry(store);
    const maxRigsNeeded = Math.ceil(PLAN.maxRigs * 1.5) + 2;
    for (let i = 0; i < maxRigsNeeded; i++) await registry.publish({ ...rigRec.calibration, rigId: `bench-rig-${String(i)}` });
    const pipeline = await startPipeline();
    observer.observe(['obs.lidar', 'obs.camera', 'obs.audio', 'obs.motion', 'fused.detections'], `${runId}-observer`);
    lag.watch(pipeline.groups);

    const steps: StepResult[] = [];
    const history: StepOutcome[] = [];
    const deployedFromMs = Date.now();
    for (let k = nextRigCount(history, PLAN.maxRigs); k !== undefined && phase('scan'); k = nextRigCount(history, PLAN.maxRigs)) {
      const step = await runStep(pipeline, { label: `scan ${String(k)}`, rigs: k, seconds: PLAN.scanStepS, warmUpS: PLAN.scanWarmUpS, observeRaw: k === 1 });
      steps.push(step);
      history.push({ rigs: k, sustained: step.sustained });
    }
    const capacity = phase('scan') ? capacityOf(history) : Number(process.env.BENCH_PIPELINE_CAPACITY ?? 1);
    log(`capacity scan: ${String(capacity)} rig(s) sustained`);

    // The bare kafkajs loop's lag onset, same source, its own topics and group.
    const bareSteps = phase('bare') ? await bareLadder() : undefined;

    // 3. Latency at half capacity (1 rig is the first scan step).
    const half = Math.floor(capacity / 2);
    const halfStep = half >= 2 && phase('half') ? await runStep(pipeline, { label: `half capacity ${String(half)}`, rigs: half, seconds: PLAN.halfS, warmUpS: PLAN.scanWarmUpS, observeRaw: false }) : undefined;

    // 4. Overload: 1.5× capacity, then nominal.
    const nominal = Math.max(1, capacity);
    const overloadRigs = Math.max(nominal + 1, Math.ceil(1.5 * nominal));
    const overload = phase('overload') ? await runOverload(pipeline, nominal, overloadRigs, steps.find((s) => s.rigs === nominal)) : undefined;

    // 5. Memory at nominal load (in full mode also the long confirmation of the capacity: ≥ 5 min of bounded lag).
    const memory = phase('memory') ? await runMemory(pipeline, nominal) : undefined;

    const deployedToMs = Date.now();
    for (const w of pipeline.workers) await stopChild(w);
    observer.close();
    // Start-up (module compilation) left out: from the first measured step to the last.
    for (const w of pipeline.workers) profiles[`${w.name} (all deployed steps)`] = profileOf(w, 8, { fromMs: deployedFromMs, toMs: deployedToMs });

    // 6. Embedded mode.
    const embedded = phase('embedded') ? await runEmbedded() : undefined;

    // The capacity found by the short scan steps holds only if the long nominal run at that count kept every lag bounded in real time.
    const m = memory as { rigs: number; lagBounded: boolean; sourceRealTime: number } | undefined;
    const capacityConfirmed = m !== undefined && capacity >= 1 && m.rigs === capacity ? m.lagBounded && m.sourceRealTime >= SOURCE_REAL_TIME_MIN : undefined;
    Object.assign(result, { capacityConfirmed, profiles, capacity, steps, bareSteps, halfStep, overload, memory, embedded, nominal, overloadRigs });
  } finally {
    clearInterval(selfTimer);
    observer.close();
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) await stopChild(c, 5000);
    await lag.close().catch(() => undefined);
    await bus.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await infra.stop();
  }

  const loadEnd = os.loadavg();
  const report = {
    benchmark: 'pipeline (issue 12)',
    mode: QUICK ? 'quick' : 'full',
    command: COMMAND,
    date: startedAt.toISOString(),
    runSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGb: os.totalmem() / 2 ** 30,
      loadAverageStart: loadStart,
      loadAverageEnd: loadEnd,
      node: process.version,
      nice: os.getPriority(),
    },
    broker: infra.kafka ? `local Apache Kafka ${infra.kafka.kafkaVersion} started by the bench` : `KAFKA_BROKERS=${brokers.join(',')}`,
    plan: PLAN,
    phases: [...PHASES],
    notes: Object.keys(audioWorkerFallbackEnv()).length > 0 ? ['models/audio-events/audio-events.onnx is absent in this checkout: the audio worker ran with its sound-event classifier off (SENSORFUSE_AUDIO_EVENTS_MODE=off)'] : [],
    criteria: { lag: LAG, sourceRealTimeMin: SOURCE_REAL_TIME_MIN, fusedFractionMin: FUSED_FRACTION_MIN, cameraFractionMin: CAMERA_FRACTION_MIN, partitions: PARTITIONS },
    ...result,
  };
  const outDir = path.join(REPO_ROOT, 'bench/results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'pipeline.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderMarkdown(report);
  fs.writeFileSync(path.join(outDir, 'pipeline.md'), md);
  console.log(`\n${md}`);
  if (keptDir === undefined) for (const f of ['rig.mcap', 'kitti-class.mcap']) fs.rmSync(path.join(logDir, f), { force: true });

  // ---- phases -------------------------------------------------------------------------------

  async function createRawTopics(prefix: string): Promise<void> {
    await bus.admin.createTopics(RAW_TOPICS.map((t) => ({ topic: `${prefix}${t}`, partitions: PARTITIONS, deadLetterTopic: 'none' as const })));
  }

  function spawnTracked(name: string, script: string, env: Record<string, string>): Child {
    const child = spawnChild(name, script, env, logDir);
    children.push(child);
    return child;
  }

  async function measureTransport(workload: RecordedWorkload, prefix: string): Promise<unknown> {
    await createRawTopics(prefix);
    const fill = await replay({ bus, files: workload.path, rate: 'max', includeTopics: [...RAW_TOPICS], topicPrefix: prefix }).done;
    log(`transport ${workload.name}: ${String(fill.published)} records, ${(fill.bytes / 1e6).toFixed(0)} MB in the topics`);
    const rounds: { bare: ConsumerOutcome; align: ConsumerOutcome; ratio: number }[] = [];
    for (let round = 0; round < PLAN.transportRounds; round++) {
      const order: ('bare' | 'align')[] = round % 2 === 0 ? ['bare', 'align'] : ['align', 'bare'];
      const outcome: Partial<Record<'bare' | 'align', ConsumerOutcome>> = {};
      for (const mode of order) outcome[mode] = await drainWith(mode, prefix, fill.published, `${prefix}${mode}-${String(round)}`);
      const bare = outcome.bare as ConsumerOutcome;
      const align = outcome.align as ConsumerOutcome;
      rounds.push({ bare, align, ratio: align.bytesPerS / bare.bytesPerS });
      log(`transport ${workload.name} round ${String(round)}: bare ${(bare.bytesPerS / 1e6).toFixed(1)} MB/s, consume+decode+align ${(align.bytesPerS / 1e6).toFixed(1)} MB/s (${(align.bytesPerS / bare.bytesPerS).toFixed(2)})`);
    }
    const sorted = [...rounds].sort((a, b) => a.ratio - b.ratio);
    const median = sorted[Math.floor(sorted.length / 2)];
    return { workload: workload.name, records: fill.published, bytes: fill.bytes, rounds, ratio: median?.ratio ?? Number.NaN, bareBytesPerS: median?.bare.bytesPerS ?? Number.NaN, alignBytesPerS: median?.align.bytesPerS ?? Number.NaN };
  }

  interface ConsumerOutcome {
    readonly records: number;
    readonly bytes: number;
    readonly seconds: number;
    readonly bytesPerS: number;
    readonly frames: number;
    readonly cpuCores: number;
    readonly complete: boolean;
  }

  async function drainWith(mode: 'bare' | 'align', prefix: string, expected: number, groupId: string): Promise<ConsumerOutcome> {
    const child = spawnTracked(`consumer-${mode}-${groupId.slice(-12)}`, 'bench/pipeline/consumer.ts', {
      BENCH_CONSUMER: JSON.stringify({ mode, brokers, topics: RAW_TOPICS.map((t) => `${prefix}${t}`), groupId, fromBeginning: true }),
    });
    let last: ConsumerReport | undefined;
    child.onMessage((m) => {
      if ((m as { type?: string }).type === 'consumer') last = m as ConsumerReport;
    });
    const deadline = Date.now() + 180_000;
    // Done when every record arrived and nothing moved for a moment (the aligner's last frames).
    while (Date.now() < deadline && (last?.records ?? 0) < expected) {
      if (child.process.exitCode !== null) throw new Error(`consumer ${mode} exited: ${logTail(child)}`);
      await sleep(250);
    }
    await stopChild(child);
    const r = last ?? { records: 0, bytes: 0, frames: 0, firstMs: 0, lastMs: 0 };
    profiles[`${mode === 'bare' ? 'bare kafkajs' : 'consume+decode+align'} drain, ${prefix.includes('kitti') ? 'kitti-class' : 'rig'}`] = profileOf(child, 8, { fromMs: r.firstMs, toMs: r.lastMs });
    const seconds = Math.max(0.001, (r.lastMs - r.firstMs) / 1000);
    const cpu = cpuWindow(child.samples, r.firstMs, r.lastMs + 1000);
    return { records: r.records, bytes: r.bytes, seconds, bytesPerS: r.bytes / seconds, frames: r.frames, cpuCores: cpu?.cores ?? Number.NaN, complete: r.records >= expected };
  }

  async function startPipeline(): Promise<Pipeline> {
    const p = `${runId}.`;
    const obs = ['obs.camera', 'obs.lidar', 'obs.audio', 'obs.motion', 'fused.detections'];
    await bus.admin.createTopics([...RAW_TOPICS, ...obs].map((t) => ({ topic: `${p}${t}`, partitions: PARTITIONS })));
    const common = async (prefix: string, name: string): Promise<Record<string, string>> => ({
      [`${prefix}BUS_BROKERS`]: JSON.stringify(brokers),
      [`${prefix}BUS_CLIENT_ID`]: `${runId}-${name}`,
      [`${prefix}BUS_LOG_LEVEL`]: 'error',
      [`${prefix}TELEMETRY_HTTP_PORT`]: String(await freeLoopbackPort()),
      [`${prefix}TELEMETRY_LOG_LEVEL`]: 'warn',
      [`${prefix}GROUP_ID`]: `${runId}-${name}`,
    });
    const modality = async (name: 'camera' | 'lidar' | 'audio' | 'motion'): Promise<Record<string, string>> => {
      const prefix = `SENSORFUSE_${name.toUpperCase()}_`;
      return { ...(await common(prefix, name)), [`${prefix}INPUT_TOPIC`]: `${p}raw.${name}`, [`${prefix}OUTPUT_TOPIC`]: `${p}obs.${name}` };
    };
    const F = 'SENSORFUSE_FUSION_';
    const specs: [string, string, Record<string, string>][] = [
      ['camera-worker', 'services/camera-worker/src/main.ts', await modality('camera')],
      ['lidar-worker', 'services/lidar-worker/src/main.ts', await modality('lidar')],
      ['audio-worker', 'services/audio-worker/src/main.ts', { ...(await modality('audio')), ...audioWorkerFallbackEnv() }],
      ['motion-worker', 'services/motion-worker/src/main.ts', await modality('motion')],
      [
        'fusion-worker',
        'services/fusion-worker/src/main.ts',
        {
          ...(await common(F, 'fusion')),
          [`${F}TOPICS_LIDAR`]: `${p}obs.lidar`,
          [`${F}TOPICS_CAMERA`]: `${p}obs.camera`,
          [`${F}TOPICS_AUDIO`]: `${p}obs.audio`,
          [`${F}TOPICS_MOTION`]: `${p}obs.motion`,
          [`${F}TOPICS_OUTPUT`]: `${p}fused.detections`,
          [`${F}TRANSACTIONAL_ID`]: `${runId}-fusion`,
          [`${F}STATE_STORE_URL`]: infra.redisUrl,
          [`${F}STATE_STORE_KEY_PREFIX`]: `${runId}:`,
          ...fusionWorkerExtraEnv(),
        },
      ],
    ];
    const workers = specs.map(([name, script, env]) => spawnTracked(name, script, env));
    const ports = specs.map(([, , env]) => Object.entries(env).find(([k]) => k.endsWith('TELEMETRY_HTTP_PORT'))?.[1] ?? '0');
    const deadline = Date.now() + 180_000;
    for (const [i, w] of workers.entries()) {
      for (;;) {
        if (w.process.exitCode !== null) throw new Error(`${w.name} exited during start-up:\n${logTail(w)}`);
        if (Date.now() > deadline) throw new Error(`${w.name} not ready after 180 s:\n${logTail(w)}`);
        const ok = await fetch(`http://127.0.0.1:${ports[i] ?? '0'}/readyz`).then((r) => r.ok, () => false);
        if (ok) break;
        await sleep(500);
      }
      log(`${w.name} ready (pid ${String(w.process.pid)})`);
    }
    const groups: GroupTopic[] = [
      ...(['camera', 'lidar', 'audio', 'motion'] as const).map((m) => ({ group: `${runId}-${m}`, topic: `${p}raw.${m}` })),
      ...(['obs.lidar', 'obs.camera', 'obs.audio', 'obs.motion'] as const).map((t) => ({ group: `${runId}-fusion`, topic: `${p}${t}` })),
    ];
    return { workers, groups };
  }

  function startSource(name: string, rigs: readonly number[], topicPrefix: string): { child: Child; reports: SourceReport[] } {
    const child = spawnTracked(name, 'bench/pipeline/source.ts', {
      BENCH_SOURCE: JSON.stringify({ brokers, file: rig().path, rigs, topicPrefix, staggerMs: 37 }),
    });
    const reports: SourceReport[] = [];
    child.onMessage((m) => {
      if ((m as { type?: string }).type === 'source') reports.push(m as SourceReport);
    });
    return { child, reports };
  }

  /**
   * Resolves once the source has published its first records: the step's clock starts then, so the
   * source's own start-up (module loading, connecting) is never counted as the pipeline falling behind.
   */
  async function publishing(source: { child: Child; reports: SourceReport[] }): Promise<void> {
    const deadline = Date.now() + 180_000;
    const total = (r: SourceReport | undefined): number => Object.values(r?.publishedByTopic ?? {}).reduce((a, n) => a + n, 0);
    while (total(source.reports.at(-1)) === 0) {
      if (source.child.process.exitCode !== null) throw new Error(`${source.child.name} exited: ${logTail(source.child)}`);
      if (Date.now() > deadline) throw new Error(`${source.child.name} published nothing in 180 s: ${logTail(source.child)}`);
      await sleep(200);
    }
  }

  function rig(): RecordedWorkload {
    if (rigWorkload === undefined) throw new Error('no workload recorded');
    return rigWorkload;
  }

  /** Published / recorded rate per topic over [fromMs, toMs] for `rigs` rigs; the worst topic. */
  function sourceRealTime(reports: readonly SourceReport[], fromMs: number, toMs: number, rigs: number): { fraction: number; perTopic: Record<string, number>; sweepsPerS: number; cameraPerS: number } {
    const inside = reports.filter((r) => r.atMs >= fromMs && r.atMs <= toMs);
    const first = inside[0];
    const last = inside.at(-1);
    const perTopic: Record<string, number> = {};
    if (first === undefined || last === undefined || last.atMs <= first.atMs) return { fraction: 0, perTopic, sweepsPerS: 0, cameraPerS: 0 };
    const dt = (last.atMs - first.atMs) / 1000;
    const rate = (t: string): number => ((last.publishedByTopic[t] ?? 0) - (first.publishedByTopic[t] ?? 0)) / dt;
    for (const t of RAW_TOPICS) perTopic[t] = rate(t) / ((rig().topics[t]?.perS ?? Number.NaN) * rigs);
    return { fraction: Math.min(...Object.values(perTopic)), perTopic, sweepsPerS: rate('raw.lidar'), cameraPerS: rate('raw.camera') };
  }

  function lagVerdicts(fromMs: number, toMs: number, warmUpS: number, groups: readonly GroupTopic[]): Record<string, LagVerdict> {
    const points = lag.between(fromMs, toMs);
    const verdicts: Record<string, LagVerdict> = {};
    const measured = points.filter((p) => p.atMs >= fromMs + warmUpS * 1000);
    for (const g of groups) {
      const key = lagKey(g);
      const a = measured[0];
      const b = measured.at(-1);
      const rate = a !== undefined && b !== undefined && b.atMs > a.atMs ? ((b.end[g.topic] ?? 0) - (a.end[g.topic] ?? 0)) / ((b.atMs - a.atMs) / 1000) : 0;
      const samples = points.flatMap((p) => (p.lag[key] === undefined ? [] : [{ tS: (p.atMs - fromMs) / 1000, lag: p.lag[key] ?? 0 }]));
      // Shown as "<group> <topic>" without the run's prefixes: "motion raw.motion", "fusion obs.lidar".
      verdicts[`${g.group.replace(`${runId}-`, '')} ${g.topic.replace(`${runId}.`, '')}`] = judgeLag(samples, rate, { ...LAG, warmUpS });
    }
    return verdicts;
  }

  function cpuOf(procs: readonly Child[], fromMs: number, toMs: number): { cpu: Record<string, number>; rss: Record<string, number> } {
    const cpu: Record<string, number> = {};
    const rss: Record<string, number> = {};
    for (const c of procs) {
      const w = cpuWindow(c.samples, fromMs, toMs);
      if (w === undefined) continue;
      cpu[c.name] = w.cores;
      rss[c.name] = w.rssMeanBytes / 2 ** 20;
    }
    return { cpu, rss };
  }

  function latencyFigures(from: number, to: number): Pick<StepResult, 'fusedLatencyMs' | 'fusedPublishLatencyMs' | 'hopsMs' | 'produceToHandlerMs' | 'fusedPerS'> {
    const seen = observer.between(from, to);
    const fused = seen.filter((o) => o.topic === 'fused.detections');
    const hopsMs: Record<string, Quantiles> = {};
    const produceToHandlerMs: Record<string, Quantiles> = {};
    const byTopic = new Map<string, Observation[]>();
    for (const o of seen) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    for (const [topic, list] of byTopic) {
      produceToHandlerMs[topic] = quantiles(list.map((o) => (o.receivedUs - o.producedUs) / 1000));
      if (topic.startsWith('obs.')) hopsMs[topic] = quantiles(list.map((o) => (o.publishUs - o.captureUs) / 1000));
    }
    return {
      fusedLatencyMs: quantiles(fused.map((o) => (o.receivedUs - o.captureUs) / 1000)),
      fusedPublishLatencyMs: quantiles(fused.map((o) => (o.publishUs - o.captureUs) / 1000)),
      hopsMs,
      produceToHandlerMs,
      fusedPerS: fused.length / Math.max(0.001, (to - from) / 1000),
    };
  }

  interface StepOptions {
    readonly label: string;
    readonly rigs: number;
    readonly seconds: number;
    readonly warmUpS: number;
    readonly observeRaw: boolean;
  }

  async function runStep(pipeline: Pipeline, o: StepOptions): Promise<StepResult> {
    log(`${o.label}: ${String(o.rigs)} rig(s) for ${String(o.seconds)} s`);
    machine();
    const rawObserver = o.observeRaw ? observer.observe([...RAW_TOPICS], `${runId}-raw-observer-${o.label.replace(/\W/g, '')}`) : undefined;
    if (rawObserver !== undefined) await sleep(3000);
    const source = startSource(`source-${o.label.replace(/\W/g, '')}`, Array.from({ length: o.rigs }, (_, i) => i), `${runId}.`);
    await publishing(source);
    machine();
    const t0 = Date.now();
    await sleep(o.seconds * 1000);
    const t1 = Date.now();
    const busy = machine();
    const load = os.loadavg()[0] ?? Number.NaN;
    await stopChild(source.child);
    profiles[`source (${o.label})`] = profileOf(source.child, 8, { fromMs: t0 + o.warmUpS * 1000, toMs: t1 });
    rawObserver?.unsubscribe();
    const step = judgeStep(pipeline, o, t0, t1, source, busy, load);
    const drainStart = Date.now();
    const drained = await lag.drained(50, PLAN.drainS * 1000);
    const result = { ...step, drainedAfterS: drained ? (Date.now() - drainStart) / 1000 : undefined };
    log(`${o.label}: ${result.sustained ? 'sustained' : 'NOT sustained'} — source ${(result.sourceRealTime * 100).toFixed(0)} % real time, fused ${result.fusedPerS.toFixed(1)}/s of ${result.sweepsPerS.toFixed(1)} sweeps/s, camera ${(result.cameraProcessedFraction * 100).toFixed(0)} %, latency p50/p99 ${result.fusedLatencyMs.p50.toFixed(0)}/${result.fusedLatencyMs.p99.toFixed(0)} ms; ${result.reasons.join('; ')}`);
    log(`${o.label}: CPU cores ${Object.entries(result.cpuCores).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}; machine ${(busy * 100).toFixed(0)} % busy`);
    observer.forget(Date.now() - 5000);
    return result;
  }

  function judgeStep(pipeline: Pipeline, o: StepOptions, t0: number, t1: number, source: { child: Child; reports: SourceReport[] }, busy: number, load: number): Omit<StepResult, 'drainedAfterS'> {
    const from = t0 + o.warmUpS * 1000;
    const real = sourceRealTime(source.reports, from, t1, o.rigs);
    const verdicts = lagVerdicts(t0, t1, o.warmUpS, pipeline.groups);
    const lat = latencyFigures(from, t1);
    const cameraObs = observer.between(from, t1, 'obs.camera').length / ((t1 - from) / 1000);
    const cameraProcessedFraction = real.cameraPerS > 0 ? cameraObs / real.cameraPerS : 0;
    const reasons: string[] = [];
    if (real.fraction < SOURCE_REAL_TIME_MIN) reasons.push(`source published only ${(real.fraction * 100).toFixed(0)} % of real time (${Object.entries(real.perTopic).map(([t, f]) => `${t} ${(f * 100).toFixed(0)} %`).join(', ')})`);
    for (const [k, v] of Object.entries(verdicts)) if (!v.bounded) reasons.push(`${k}: ${v.reason}`);
    if (real.sweepsPerS > 0 && lat.fusedPerS < FUSED_FRACTION_MIN * real.sweepsPerS) reasons.push(`fused ${lat.fusedPerS.toFixed(1)} frames/s for ${real.sweepsPerS.toFixed(1)} sweeps/s`);
    if (cameraProcessedFraction < CAMERA_FRACTION_MIN) reasons.push(`camera worker processed ${(cameraProcessedFraction * 100).toFixed(0)} % of the frames (dropped the rest as stale)`);
    const worst = Object.entries(verdicts).sort((a, b) => (b[1].maxLagS || 0) - (a[1].maxLagS || 0))[0];
    const { cpu, rss } = cpuOf([...pipeline.workers, source.child], from, t1);
    cpu['bench (observer, lag monitor)'] = benchCpu(from, t1);
    Object.assign(cpu, infraCpu(from, t1));
    return {
      label: o.label,
      rigs: o.rigs,
      seconds: o.seconds,
      warmUpS: o.warmUpS,
      sustained: reasons.length === 0,
      reasons: reasons.length === 0 ? ['every criterion met'] : reasons,
      sourceRealTime: real.fraction,
      lag: verdicts,
      worstLag: worst === undefined ? undefined : { key: worst[0], maxLagS: worst[1].maxLagS, growthSPerS: worst[1].growthSPerS },
      ...lat,
      sweepsPerS: real.sweepsPerS,
      cameraProcessedFraction,
      cpuCores: cpu,
      rssMb: rss,
      machineBusy: busy,
      loadAverage: load,
    };
  }

  async function bareLadder(): Promise<unknown[]> {
    const prefix = `${runId}.bare.`;
    await createRawTopics(prefix);
    const groupId = `${runId}-bare`;
    const groups = RAW_TOPICS.map((t) => ({ group: groupId, topic: `${prefix}${t}` }));
    const bare = spawnTracked('bare-kafkajs', 'bench/pipeline/consumer.ts', { BENCH_CONSUMER: JSON.stringify({ mode: 'bare', brokers, topics: groups.map((g) => g.topic), groupId, fromBeginning: true }) });
    await sleep(5000);
    lag.watch(groups);
    const ladderFromMs = Date.now();
    const steps: unknown[] = [];
    const history: StepOutcome[] = [];
    for (let k = nextRigCount(history, PLAN.maxBareRigs); k !== undefined; k = nextRigCount(history, PLAN.maxBareRigs)) {
      log(`bare kafkajs: ${String(k)} rig(s) for ${String(PLAN.bareStepS)} s`);
      const source = startSource(`source-bare-${String(k)}`, Array.from({ length: k }, (_, i) => i), prefix);
      await publishing(source);
      machine();
      const t0 = Date.now();
      await sleep(PLAN.bareStepS * 1000);
      const t1 = Date.now();
      const busy = machine();
      await stopChild(source.child);
      const from = t0 + PLAN.bareWarmUpS * 1000;
      const real = sourceRealTime(source.reports, from, t1, k);
      const verdicts = lagVerdicts(t0, t1, PLAN.bareWarmUpS, groups);
      const reasons: string[] = [];
      const sourceLimited = real.fraction < SOURCE_REAL_TIME_MIN;
      if (sourceLimited) reasons.push(`source published only ${(real.fraction * 100).toFixed(0)} % of real time`);
      for (const [key, v] of Object.entries(verdicts)) if (!v.bounded) reasons.push(`${key}: ${v.reason}`);
      const { cpu } = cpuOf([bare, source.child], from, t1);
      Object.assign(cpu, infraCpu(from, t1));
      const step = { rigs: k, sustained: reasons.length === 0, sourceLimited, sourceRealTime: real.fraction, lag: verdicts, reasons, cpuCores: cpu, machineBusy: busy };
      log(`bare kafkajs ${String(k)}: ${step.sustained ? 'keeps up' : `lags: ${reasons.join('; ')}`}; CPU ${Object.entries(cpu).map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ')}`);
      steps.push(step);
      history.push({ rigs: k, sustained: step.sustained });
      await lag.drained(50, PLAN.drainS * 1000);
    }
    const ladderToMs = Date.now();
    await stopChild(bare);
    profiles['bare kafkajs (ladder)'] = profileOf(bare, 8, { fromMs: ladderFromMs, toMs: ladderToMs });
    return steps;
  }

  async function runOverload(pipeline: Pipeline, nominal: number, overloadRigs: number, nominalStep: StepResult | undefined): Promise<unknown> {
    log(`overload: ${String(overloadRigs)} rigs for ${String(PLAN.overloadS)} s, then ${String(nominal)} for ${String(PLAN.recoverS)} s`);
    lag.watch(pipeline.groups);
    const base = startSource('source-overload-nominal', Array.from({ length: nominal }, (_, i) => i), `${runId}.`);
    const extra = startSource('source-overload-extra', Array.from({ length: overloadRigs - nominal }, (_, i) => nominal + i), `${runId}.`);
    await Promise.all([publishing(base), publishing(extra)]);
    const t0 = Date.now();
    await sleep(PLAN.overloadS * 1000);
    await stopChild(extra.child);
    const tOverEnd = Date.now();
    await sleep(PLAN.recoverS * 1000);
    const t1 = Date.now();
    await stopChild(base.child);
    const warm = Math.min(5, PLAN.overloadS / 4);
    const from = t0 + warm * 1000;
    const rawCamera = (r: SourceReport[], a: number, b: number): number => {
      const inside = r.filter((x) => x.atMs >= a && x.atMs <= b);
      return (inside.at(-1)?.publishedByTopic['raw.camera'] ?? 0) - (inside[0]?.publishedByTopic['raw.camera'] ?? 0);
    };
    const cameraIn = rawCamera(base.reports, from, tOverEnd) + rawCamera(extra.reports, from, tOverEnd);
    const cameraOut = observer.between(from, tOverEnd, 'obs.camera').length;
    const verdicts = lagVerdicts(t0, tOverEnd, warm, pipeline.groups);
    const afterVerdicts = lagVerdicts(tOverEnd, t1, 0, pipeline.groups);
    const windows: { startS: number; endS: number; p99: number; n: number }[] = [];
    for (let s = t0; s + 2000 <= t1; s += 2000) {
      const xs = observer.between(s, s + 2000, 'fused.detections').map((o) => (o.receivedUs - o.captureUs) / 1000);
      windows.push({ startS: (s - t0) / 1000, endS: (s + 2000 - t0) / 1000, p99: percentile(xs, 0.99), n: xs.length });
    }
    const nominalP99 = nominalStep?.fusedLatencyMs.p99 ?? Number.NaN;
    const recovery = recoverySeconds(windows, (tOverEnd - t0) / 1000, nominalP99, 0.2);
    const { cpu } = cpuOf([...pipeline.workers, base.child, extra.child], from, tOverEnd);
    Object.assign(cpu, infraCpu(from, tOverEnd));
    const motionKey = Object.keys(verdicts).find((k) => k.includes('raw.motion')) ?? '';
    const cameraKey = Object.keys(verdicts).find((k) => k.includes('raw.camera')) ?? '';
    const out = {
      nominal,
      overloadRigs,
      overloadS: PLAN.overloadS,
      recoverS: PLAN.recoverS,
      cameraFramesIn: cameraIn,
      cameraFramesProcessed: cameraOut,
      cameraDroppedFraction: cameraIn > 0 ? 1 - cameraOut / cameraIn : Number.NaN,
      cameraLag: verdicts[cameraKey],
      motionLag: verdicts[motionKey],
      lagDuringOverload: verdicts,
      lagAfterOverload: afterVerdicts,
      nominalP99Ms: nominalP99,
      recoverySeconds: recovery,
      windows,
      cpuCores: cpu,
    };
    log(`overload: camera ${String(cameraOut)}/${String(cameraIn)} frames processed; camera lag max ${(out.cameraLag?.maxLagS ?? Number.NaN).toFixed(2)} s, motion lag max ${(out.motionLag?.maxLagS ?? Number.NaN).toFixed(2)} s; p99 back within ${recovery === undefined ? 'never (in the window)' : `${recovery.toFixed(0)} s`}`);
    await lag.drained(50, PLAN.drainS * 1000);
    observer.forget(Date.now() - 5000);
    return out;
  }

  async function runMemory(pipeline: Pipeline, nominal: number): Promise<unknown> {
    log(`memory: ${String(nominal)} rig(s) for ${String(PLAN.memoryS)} s`);
    const source = startSource('source-memory', Array.from({ length: nominal }, (_, i) => i), `${runId}.`);
    await publishing(source);
    machine();
    const t0 = Date.now();
    await sleep(PLAN.memoryS * 1000);
    const t1 = Date.now();
    const busy = machine();
    await stopChild(source.child);
    const processes: Record<string, unknown> = {};
    for (const w of pipeline.workers) {
      const samples = w.samples.filter((s) => s.atMs >= t0 && s.atMs <= t1).map((s) => ({ tS: (s.atMs - t0) / 1000, rss: s.rssBytes, heap: s.heapUsedBytes }));
      const after = samples.filter((s) => s.tS >= PLAN.memoryWarmUpS);
      processes[w.name] = {
        rssMbStart: (after[0]?.rss ?? Number.NaN) / 2 ** 20,
        rssMbEnd: (after.at(-1)?.rss ?? Number.NaN) / 2 ** 20,
        rssMbMax: Math.max(...after.map((s) => s.rss)) / 2 ** 20,
        heapMbStart: (after[0]?.heap ?? Number.NaN) / 2 ** 20,
        heapMbEnd: (after.at(-1)?.heap ?? Number.NaN) / 2 ** 20,
        rssGrowth: growthAfterWarmUp(samples.map((s) => ({ tS: s.tS, value: s.rss })), PLAN.memoryWarmUpS),
        heapGrowth: growthAfterWarmUp(samples.map((s) => ({ tS: s.tS, value: s.heap })), PLAN.memoryWarmUpS),
        samples: samples.length,
      };
    }
    const verdicts = lagVerdicts(t0, t1, PLAN.memoryWarmUpS, pipeline.groups);
    const real = sourceRealTime(source.reports, t0 + PLAN.memoryWarmUpS * 1000, t1, nominal);
    const out = { rigs: nominal, seconds: PLAN.memoryS, warmUpS: PLAN.memoryWarmUpS, processes, lag: verdicts, lagBounded: Object.values(verdicts).every((v) => v.bounded), sourceRealTime: real.fraction, machineBusy: busy, ...latencyFigures(t0 + PLAN.memoryWarmUpS * 1000, t1) };
    log(`memory: ${Object.entries(processes).map(([n, p]) => `${n} RSS ${((p as { rssGrowth: number }).rssGrowth * 100).toFixed(1)} %`).join(', ')}; lag bounded: ${String(out.lagBounded)}`);
    await lag.drained(50, PLAN.drainS * 1000);
    return out;
  }

  async function runEmbedded(): Promise<unknown> {
    log(`embedded: 1 rig on the MemoryBus for ${String(PLAN.embeddedS)} s`);
    const calibrationFile = path.join(logDir, 'calibration.json');
    fs.writeFileSync(calibrationFile, JSON.stringify(rig().calibration));
    machine();
    const child = spawnTracked('embedded', 'bench/pipeline/embedded.ts', {
      BENCH_EMBEDDED: JSON.stringify({ file: rig().path, calibrationFile, rigs: 1, durationS: PLAN.embeddedS, warmUpS: PLAN.embeddedWarmUpS }),
      ...audioWorkerFallbackEnv(),
    });
    const t0 = Date.now();
    let report: EmbeddedReport | undefined;
    let reportAtMs = 0;
    child.onMessage((m) => {
      if ((m as { type?: string }).type === 'embedded') {
        report = m as EmbeddedReport;
        reportAtMs = Date.now();
      }
    });
    const code = await Promise.race([child.exited, sleep((PLAN.embeddedS + 240) * 1000).then(() => 'timeout')]);
    if (code === 'timeout') await stopChild(child, 5000);
    const busy = machine();
    // The replay runs from start-up (workers, models) to the report; its warm-up left out.
    profiles['embedded (one process)'] = profileOf(child, 8, { fromMs: reportAtMs - (PLAN.embeddedS - PLAN.embeddedWarmUpS) * 1000, toMs: reportAtMs });
    if (report === undefined) return { error: `embedded run gave no report (exit ${String(code)}): ${logTail(child)}` };
    const cpu = cpuWindow(child.samples, t0 + PLAN.embeddedWarmUpS * 1000, Date.now());
    return { rigs: report.rigs, seconds: report.durationS, fusedPerS: report.fusedPerS, sweepsPerS: report.sweepsPerS, cameraObsPerS: report.cameraObsPerS, cameraPerS: report.cameraPerS, fusedLatencyMs: quantiles(report.latenciesMs), cpuCores: cpu?.cores ?? Number.NaN, rssMb: (cpu?.rssMeanBytes ?? Number.NaN) / 2 ** 20, machineBusy: busy };
  }

  function benchCpu(from: number, to: number): number {
    return cpuWindow(self, from, to)?.cores ?? Number.NaN;
  }

  /** CPU cores of the broker and Redis this run started, over the window (none when external). */
  function infraCpu(from: number, to: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of infraSamples) {
      const w = cpuWindow(p.samples, from, to);
      if (w !== undefined) out[p.name] = w.cores;
    }
    return out;
  }
}

if (process.argv.includes('--render-only')) {
  // Re-renders bench/results/pipeline.md from pipeline.json (after a change to the report layout).
  const dir = path.join(REPO_ROOT, 'bench/results');
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'pipeline.json'), 'utf8')) as Parameters<typeof renderMarkdown>[0];
  fs.writeFileSync(path.join(dir, 'pipeline.md'), renderMarkdown(json));
} else {
  await main();
  // Every child, client and the local broker are stopped by now, but a kafkajs or probe timer can keep
  // the event loop alive after the report is written (seen after a --quick run): end the command here.
  process.exit(process.exitCode ?? 0);
}
