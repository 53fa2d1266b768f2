import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { evaluateTracking, renderReportMarkdown, reportToJson, summarizeLatency, type EvalReport, type ScenarioReport, type TrackingFrame } from '@sensorfuse/eval';
import { fusedDetectionsSchema, groundTruthSchema, type FusedDetections, type GroundTruth } from '@sensorfuse/schemas';
import { MemoryStateStore } from '@sensorfuse/state';
import { MemoryBus } from '@sensorfuse/transport';
import { EXIT, UserError } from '../errors.js';
import { integer, list, settingsOf, shared, withExamples } from '../options.js';
import { Pipeline, scenarioByName } from '../pipeline/embedded.js';
import { progressBar } from '../progress.js';

/** A truth object counts when the LIDAR saw at least this many of its points (what a detector can find). */
const MIN_TRUTH_POINTS = 5;
/** A track farther than this from a truth object cannot match it (CLEAR-MOT threshold). */
const MATCH_DISTANCE_M = 2;
/** Truth and fused frame describe the same sweep when their capture times differ by less than this. */
const SAME_SWEEP_US = 5_000;

export interface EvalScenarioOptions {
  readonly scenario: string;
  readonly seed: number;
  readonly durationS: number;
  readonly onProgress?: (simulatedS: number) => void;
}

/** Pairs each fused frame with the LIDAR truth of its sweep: confirmed tracks vs objects the LIDAR saw. */
export function trackingFrames(fused: readonly FusedDetections[], truth: readonly GroundTruth[]): TrackingFrame[] {
  const byTime = truth.filter((t) => t.objects.some((o) => o.lidar !== null)).sort((a, b) => a.captureTimeUs - b.captureTimeUs);
  const frames: TrackingFrame[] = [];
  for (const frame of fused) {
    const t = byTime.find((candidate) => Math.abs(candidate.captureTimeUs - frame.captureTimeUs) < SAME_SWEEP_US);
    if (t === undefined) continue;
    frames.push({
      truth: t.objects.filter((o) => (o.lidar?.points ?? 0) >= MIN_TRUTH_POINTS).map((o) => ({ id: o.id, x: o.boxEgo.center.x, y: o.boxEgo.center.y })),
      tracks: frame.tracks.filter((k) => k.state === 'confirmed').map((k) => ({ id: k.trackId, x: k.position.x, y: k.position.y })),
    });
  }
  return frames;
}

/**
 * One scenario through the embedded pipeline (simulator → workers → fusion on a MemoryBus, real
 * time), then shared/eval's CLEAR-MOT/IDF1 of the fused tracks against the simulator's truth and
 * the capture → fused latency.
 */
export async function evaluateScenario(options: EvalScenarioOptions): Promise<ScenarioReport> {
  scenarioByName(options.scenario);
  const bus = new MemoryBus();
  const pipeline = new Pipeline(bus, new MemoryStateStore(), { scenario: options.scenario, seed: options.seed, durationS: options.durationS, partitions: 1 });
  const fatal: unknown[] = [];
  await pipeline.start((error) => fatal.push(error));
  const registry = new SchemaRegistry();
  const fusedCodec = createCodec<FusedDetections>(registry, fusedDetectionsSchema);
  const truthCodec = createCodec<GroundTruth>(registry, groundTruthSchema);
  const fused: FusedDetections[] = [];
  const truth: GroundTruth[] = [];
  let firstUs: number | undefined;
  const subscription = bus
    .subscribe({ groupId: 'sensorfuse-eval', topics: ['fused.detections', 'sim.truth'], highWaterMark: Number.POSITIVE_INFINITY, highWaterMarkBytes: Number.POSITIVE_INFINITY })
    .subscribe({
      next: (record) => {
        if (record.topic === 'fused.detections') fused.push(fusedCodec.decode(record.value));
        else {
          const t = truthCodec.decode(record.value);
          firstUs ??= t.captureTimeUs;
          options.onProgress?.((t.captureTimeUs - firstUs) / 1e6);
          truth.push(t);
        }
      },
      error: (error: unknown) => fatal.push(error),
    });
  try {
    await pipeline.sourceDone();
    // Let the workers finish the last sweeps before draining.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  } finally {
    await pipeline.drain();
    subscription.unsubscribe();
    await bus.close();
  }
  if (fatal.length > 0) throw fatal[0] instanceof Error ? fatal[0] : new Error(String(fatal[0]));
  const latencies = fused.map((f) => f.publishTimeUs - f.captureTimeUs).filter((us) => us >= 0);
  return {
    scenario: options.scenario,
    seed: options.seed,
    tracking: { fused: evaluateTracking(trackingFrames(fused, truth), { maxDistanceM: MATCH_DISTANCE_M }) },
    ...(latencies.length === 0 ? {} : { latency: { 'capture→fused': summarizeLatency(latencies) } }),
  };
}

/**
 * One of the fusion worker's offline evaluations, when the package ships it: `eval/main` (fused vs
 * camera-only vs LIDAR-only) or `strategies/compare` (late, early and learned fusion side by side).
 */
function fusionEvalScript(name: 'eval/main' | 'strategies/compare'): string | undefined {
  const index = import.meta.resolve('@sensorfuse/fusion-worker');
  const script = fileURLToPath(new URL(`./${name}.${index.endsWith('.ts') ? 'ts' : 'js'}`, index));
  return existsSync(script) ? script : undefined;
}

function runFusionEval(name: 'eval/main' | 'strategies/compare', flag: string, args: readonly string[]): Promise<number> {
  const script = fusionEvalScript(name);
  if (script === undefined) throw new UserError(`this build of @sensorfuse/fusion-worker has no ${name} evaluation`, EXIT.usage, `run \`sensorfuse eval\` without ${flag}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', import.meta.resolve('tsx'), script, ...args], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve(code ?? 1);
    });
  });
}

export function evalCommand(): Command {
  const command = new Command('eval')
    .description('Run scenarios through the embedded pipeline and print shared/eval\'s metrics tables (tracking CLEAR-MOT/IDF1 of the fused tracks against the simulator\'s truth, latency).')
    .option('--scenarios <list>', 'comma-separated preset scenarios', list, ['urban-day'])
    .option('--seed <n>', shared('seed', 'simulator seed'), integer('--seed', 0, 2 ** 31 - 1))
    .option('--duration <s>', 'simulated seconds per scenario (the pipeline runs in real time)', integer('--duration', 2, 3600), 20)
    .addOption(new Option('--format <format>', 'markdown tables or JSON').choices(['markdown', 'json']).default('markdown'))
    .option('--out <file>', 'also write the report to this file')
    .option('--compare-modalities', 'instead: the fusion worker\'s offline evaluation, fused vs camera-only vs LIDAR-only on held-out simulator seeds (writes bench/results/fusion-eval.*)', false)
    .option('--compare-fusion', 'instead: late, early and learned fusion and each single modality on the same held-out scenes, with each modality removed in turn (writes bench/results/fusion-compare.*)', false)
    .option('--quick', 'with --compare-modalities or --compare-fusion: one seed, short scenes', false)
    .action(async (options: { scenarios: string[]; duration: number; format: 'markdown' | 'json'; out?: string; compareModalities: boolean; compareFusion: boolean; quick: boolean }, cmd: Command) => {
      if (options.compareModalities || options.compareFusion) {
        const [name, flag] = options.compareFusion ? ['strategies/compare', '--compare-fusion'] as const : ['eval/main', '--compare-modalities'] as const;
        const code = await runFusionEval(name, flag, options.quick ? ['--quick'] : []);
        if (code !== 0) throw new UserError(`the fusion evaluation failed (exit ${String(code)})`, EXIT.internal, 'see its output above');
        return;
      }
      const s = settingsOf(cmd);
      for (const scenario of options.scenarios) scenarioByName(scenario);
      const scenarios: ScenarioReport[] = [];
      for (const scenario of options.scenarios) {
        const bar = progressBar(`eval ${scenario}`, options.duration, 's');
        try {
          scenarios.push(await evaluateScenario({ scenario, seed: s.seed, durationS: options.duration, onProgress: (t) => { bar.update(t); } }));
        } finally {
          bar.stop();
        }
      }
      const report: EvalReport = { title: `sensorfuse eval (${String(options.duration)} s per scenario, seed ${String(s.seed)})`, scenarios };
      const text = options.format === 'json' ? reportToJson(report) : renderReportMarkdown(report);
      process.stdout.write(`${text}\n`);
      if (options.out !== undefined) await writeFile(options.out, `${text}\n`);
    });
  return withExamples(command, [
    'sensorfuse eval',
    'sensorfuse eval --scenarios urban-day,night-rain,sensor-dropout --duration 30',
    'sensorfuse eval --format json --out eval.json',
    'sensorfuse eval --compare-modalities --quick',
    'sensorfuse eval --compare-fusion',
  ]);
}
