/**
 * The evaluation as a library: scenes (from the cache, generated when missing) → aligned once → every
 * strategy → scores per preset. `main.ts` is its command line; the spec runs it on one small scene.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MotMetrics } from '@sensorfuse/eval';
import { presetScenario, type PresetName } from '@sensorfuse/simulator';
import { defaultFusionParams } from '../config.js';
import type { FusionParams } from '../core/types.js';
import { DEFAULT_CACHE_DIR, loadCachedScene, saveScene } from './cache.js';
import { alignScene, runStrategy } from './harness.js';
import { sceneName, type Scene, type SceneKey, type SweepTruth } from './scene-types.js';
import { ALL_AROUND_50M, CAMERA_FOV_50M, scoreDetections, scoreTracking, trackingCoverage, type DetectionScore, type TrackingCoverage, type ScoredRun } from './score.js';
import type { FusionStrategy } from './strategies.js';

const GENERATOR = fileURLToPath(new URL('./generate-cli.ts', import.meta.url));

let childCpuMs = 0;
/** CPU time of the generator child processes so far, milliseconds. */
export function generatorCpuMs(): number {
  return childCpuMs;
}

function generateInChild(key: SceneKey, cacheDir: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', GENERATOR, key.preset, String(key.seed), String(key.durationS), cacheDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => {
      for (const l of d.toString().trim().split('\n')) {
        const cpu = /^cpu-ms (\d+)$/.exec(l);
        if (cpu === null) log(`  ${l}`);
        else childCpuMs += Number(cpu[1]);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => { if (code === 0) resolve(); else reject(new Error(`scene ${sceneName(key)}: generator exited with ${String(code)}`)); });
  });
}

export interface LoadOptions {
  readonly cacheDir?: string;
  /** Regenerate even when cached. */
  readonly fresh?: boolean;
  /** Scenes generated at once (child processes); 0 = in this process, one after the other. */
  readonly jobs?: number;
  readonly log?: (line: string) => void;
}

/** The scenes, generated (in `jobs` child processes) where the cache lacks them. Returns the scenes and the generation wall time. */
export async function loadScenes(keys: readonly SceneKey[], options: LoadOptions = {}): Promise<{ scenes: Scene[]; generatedMs: number; generated: number }> {
  const dir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const log = options.log ?? (() => undefined);
  const missing = keys.filter((k) => options.fresh === true || loadCachedScene(k, dir) === undefined);
  const t0 = performance.now();
  if ((options.jobs ?? 2) === 0) {
    // Loaded only when a scene has to be made: scoring cached scenes needs none of the workers.
    const { generateScene } = await import('./scene.js');
    for (const k of missing) saveScene(await generateScene(k, log), dir);
  } else {
    const queue = [...missing];
    const worker = async () => {
      for (let k = queue.shift(); k !== undefined; k = queue.shift()) await generateInChild(k, dir, log);
    };
    await Promise.all(Array.from({ length: Math.min(options.jobs ?? 2, queue.length) }, worker));
  }
  const generatedMs = performance.now() - t0;
  const scenes = keys.map((k) => {
    const s = loadCachedScene(k, dir);
    if (s === undefined) throw new Error(`scene ${sceneName(k)} missing after generation`);
    return s;
  });
  return { scenes, generatedMs, generated: missing.length };
}

/** Sweeps inside the camera's outage windows of the preset (sensor-dropout: from 12 s on). */
export function cameraOutageFilter(scene: Scene): ((s: SweepTruth) => boolean) | undefined {
  const scenario = presetScenario(scene.preset);
  const cameraId = scene.calibration.sensors.find((s) => s.modality === 'camera')?.sensorId ?? '';
  const outages = scenario.faults[cameraId]?.outages ?? [];
  if (outages.length === 0) return undefined;
  return (s) => outages.some((o) => s.trueTimeUs - scene.startTimeUs >= o.startS * 1e6 && s.trueTimeUs - scene.startTimeUs < o.endS * 1e6);
}

export interface PresetResult {
  readonly preset: PresetName;
  readonly seeds: readonly number[];
  readonly durationS: number;
  readonly sweeps: number;
  /** Per strategy: mAP in the camera field of view (the headline), all around, and in the camera outage window. */
  readonly strategies: Readonly<Record<string, { readonly fov: DetectionScore; readonly allAround: DetectionScore; readonly outage?: DetectionScore; readonly tracking?: MotMetrics; readonly trackingCoverage?: TrackingCoverage; readonly cpuMs: number }>>;
}

export async function evaluateScenes(scenes: readonly Scene[], strategies: readonly FusionStrategy[], options: { readonly params?: FusionParams; readonly trackingPresets?: readonly PresetName[] } = {}): Promise<PresetResult[]> {
  const params = options.params ?? defaultFusionParams();
  const trackingPresets = new Set(options.trackingPresets ?? ['urban-day']);
  const presets = [...new Set(scenes.map((s) => s.preset))];
  const results: PresetResult[] = [];
  for (const preset of presets) {
    const ofPreset = scenes.filter((s) => s.preset === preset);
    const aligned = ofPreset.map((s) => alignScene(s));
    const perStrategy: Record<string, PresetResult['strategies'][string]> = {};
    for (const strategy of strategies) {
      const runs: ScoredRun[] = [];
      let cpuMs = 0;
      for (const a of aligned) {
        const r = await runStrategy(a, strategy, params);
        cpuMs += r.cpuMs;
        runs.push({ scene: a.scene, calibration: a.calibration, outputs: r.outputs });
      }
      const first = ofPreset[0];
      const outage = first === undefined ? undefined : cameraOutageFilter(first);
      perStrategy[strategy.name] = {
        fov: scoreDetections(runs, CAMERA_FOV_50M),
        allAround: scoreDetections(runs, ALL_AROUND_50M),
        ...(outage === undefined ? {} : { outage: scoreDetections(runs, CAMERA_FOV_50M, outage) }),
        ...(trackingPresets.has(preset) ? { tracking: scoreTracking(runs, CAMERA_FOV_50M), trackingCoverage: trackingCoverage(runs, CAMERA_FOV_50M) } : {}),
        cpuMs,
      };
    }
    results.push({ preset, seeds: ofPreset.map((s) => s.seed), durationS: ofPreset[0]?.durationS ?? 0, sweeps: ofPreset.reduce((n, s) => n + s.truth.length, 0), strategies: perStrategy });
  }
  return results;
}
