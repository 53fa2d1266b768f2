/**
 * Fusion strategies compared by the evaluation. A strategy turns the aligned frames of one scene into
 * fused, tracked output; the harness gives every strategy the same frames (aligned once per scene by
 * the worker's own `alignByPivot` configuration) and scores every strategy's tracks the same way.
 *
 * Extension point (issue #13: early fusion, learned attention fusion): add a `FusionStrategy` to
 * `STRATEGIES` below (or pass your own list to `evaluate`).
 * - Per-object learned fusion (class and score from the matched evidence, with missing-modality
 *   masks) only needs an `ObjectFusion` function: `coreStrategy('learned', '...', { fuse: myFusion })`
 *   keeps association and tracking identical, so the table compares the fusion rule alone.
 *   An ONNX model is opened in `start` (async) and closed in `close`.
 * - A strategy that needs more than the observations (early fusion on raw points and pixels) gets the
 *   scene in `start`; add what it needs to the scene generator (`scene.ts`, bump `SCENE_FORMAT`) so it is
 *   cached with the rest.
 */
import type { AlignedFrame } from '@sensorfuse/align';
import type { Modality } from '@sensorfuse/schemas';
import { createFusionState, update, type ObjectFusion } from '../core/update.js';
import type { FusionOutput, FusionParams, FusionPayload, FusionState, ResolvedCalibration } from '../core/types.js';
import type { Scene } from './scene-types.js';

/** One scene's run of a strategy: frames in pivot order, one output each. */
export interface StrategyRunner {
  step(frame: AlignedFrame<FusionPayload>, calibration: ResolvedCalibration): FusionOutput | Promise<FusionOutput>;
  close?(): void | Promise<void>;
}

export interface FusionStrategy {
  /** Column name in the results table. */
  readonly name: string;
  readonly description: string;
  start(scene: Scene, params: FusionParams): StrategyRunner | Promise<StrategyRunner>;
}

/** A strategy running the fusion core `update` with an evidence mask and/or a per-object fusion rule. */
export function coreStrategy(name: string, description: string, options: { readonly modalities?: readonly Modality[]; readonly fuse?: ObjectFusion } = {}): FusionStrategy {
  const modalities = options.modalities === undefined ? undefined : new Set<Modality>(options.modalities);
  return {
    name,
    description,
    start(scene, params) {
      let state: FusionState = createFusionState(scene.calibration.rigId);
      return {
        step(frame, calibration) {
          const result = update(frame, calibration, state, {
            params, nowUs: frame.pivotTimeUs,
            ...(modalities === undefined ? {} : { modalities }),
            ...(options.fuse === undefined ? {} : { fuse: options.fuse }),
          });
          state = result.state;
          return result.output;
        },
      };
    },
  };
}

export const FUSED = coreStrategy('fused', 'late fusion of LIDAR, camera and audio (the worker\'s default)');
export const CAMERA_ONLY = coreStrategy('camera-only', 'camera detections only (depth from the class height), same tracker', { modalities: ['camera'] });
export const LIDAR_ONLY = coreStrategy('lidar-only', 'LIDAR clusters only (class from geometry), same tracker', { modalities: ['lidar'] });

/** The strategies of the results table, in column order. */
export const STRATEGIES: readonly FusionStrategy[] = [FUSED, CAMERA_ONLY, LIDAR_ONLY];
