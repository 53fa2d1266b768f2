/**
 * Runs fusion strategies over a cached scene without Kafka: the scene's observations are fed, in their
 * delivery order, to `alignByPivot` with the fusion worker's own per-rig configuration (`rigAlignConfig`
 * with the service defaults), on a virtual processing clock that follows the delivery times (so
 * timeouts and idle inputs behave as in a real-time run). The aligned frames are then stepped through
 * each strategy.
 */
import { alignByPivot, type AlignedFrame, type InputRecord } from '@sensorfuse/align';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { resolveCalibration } from '../core/calibration.js';
import type { FusionOutput, FusionParams, FusionPayload, ResolvedCalibration } from '../core/types.js';
import { rigAlignConfig } from '../worker.js';
import { defaultFusionParams, loadFusionConfig } from '../config.js';
import type { Scene } from './scene-types.js';
import type { FusionStrategy } from './strategies.js';

export interface AlignedScene {
  readonly scene: Scene;
  readonly calibration: ResolvedCalibration;
  readonly frames: readonly AlignedFrame<FusionPayload>[];
}

function inputName(p: FusionPayload): string {
  return p.kind === 'camera' ? `camera:${p.value.sensorId}` : p.kind;
}

export function alignScene(scene: Scene): AlignedScene {
  const calibration = resolveCalibration(scene.calibration);
  const cameraIds = scene.calibration.sensors.filter((s) => s.modality === 'camera').map((s) => s.sensorId);
  const scheduler = new VirtualTimeScheduler();
  const input = new Subject<InputRecord<FusionPayload>>();
  const frames: AlignedFrame<FusionPayload>[] = [];
  const sub = input.pipe(alignByPivot(rigAlignConfig(loadFusionConfig({}).align, cameraIds), scheduler)).subscribe((f) => frames.push(f));
  const advance = (us: number) => {
    const ms = (us - scene.startTimeUs) / 1000;
    if (ms <= scheduler.frame) return;
    scheduler.maxFrames = ms;
    scheduler.flush();
    scheduler.frame = ms;
  };
  for (const o of scene.observations) {
    advance(o.deliveryUs);
    const v = o.payload.value;
    const durationUs = o.payload.kind === 'audio' ? o.payload.value.windowDurationUs : undefined;
    input.next({
      input: inputName(o.payload),
      record: { sensorId: v.sensorId, seq: v.seq, captureTimeUs: v.captureTimeUs, ...(durationUs === undefined ? {} : { durationUs }), payload: o.payload },
    });
  }
  advance((scene.observations.at(-1)?.deliveryUs ?? scene.startTimeUs) + 10_000_000);
  input.complete();
  sub.unsubscribe();
  frames.sort((a, b) => a.pivotTimeUs - b.pivotTimeUs);
  return { scene, calibration, frames };
}

/** One strategy's outputs over a scene, with the process CPU time it took. */
export interface StrategyRun {
  readonly strategy: string;
  readonly outputs: readonly FusionOutput[];
  readonly cpuMs: number;
}

export async function runStrategy(aligned: AlignedScene, strategy: FusionStrategy, params: FusionParams = defaultFusionParams()): Promise<StrategyRun> {
  const c0 = process.cpuUsage();
  const runner = await strategy.start(aligned.scene, params);
  const outputs: FusionOutput[] = [];
  try {
    for (const f of aligned.frames) outputs.push(await runner.step(f, aligned.calibration));
  } finally {
    await runner.close?.();
  }
  const c = process.cpuUsage(c0);
  return { strategy: strategy.name, outputs, cpuMs: (c.user + c.system) / 1000 };
}
