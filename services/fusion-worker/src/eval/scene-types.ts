/** The evaluation scene's data (plain JSON, cached on disk): observations as the fusion worker consumes them and the truth per sweep. */
import type { ObjectClass, RigCalibration } from '@sensorfuse/schemas';
import type { PresetName } from '@sensorfuse/simulator';
import type { FusionPayload } from '../core/types.js';

/**
 * Bump when the scene content or the workers' configuration used to make it changes (invalidates the cache).
 * 5: non-ground LIDAR points per sweep (early fusion). 4 was used by an uncommitted working tree whose
 * cache files may still exist, so it is skipped.
 */
export const SCENE_FORMAT = 5;

/** An observation as the fusion worker would consume it, with the time it would be delivered. */
export interface SceneObservation {
  /** Delivery (processing) time on the fusion worker's input, µs. */
  readonly deliveryUs: number;
  readonly payload: FusionPayload;
}

/** A truth object at a LIDAR sweep, in the ego (body) frame at the sweep's true time. */
export interface TruthObject {
  readonly id: number;
  readonly objectClass: ObjectClass;
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly yawRad: number;
  /** Velocity in the ego frame, m/s. */
  readonly vx: number;
  readonly vy: number;
  /** LIDAR points on the object in this sweep. */
  readonly lidarPoints: number;
  /** Visible fraction in the camera frame captured with the sweep; 0 when that frame was not delivered (outage, drop). */
  readonly cameraVisible: number;
}

export interface SweepTruth {
  readonly seq: number;
  /** The sweep's captureTimeUs as the LIDAR record carries it (clock faults included): the fused frame's key. */
  readonly captureTimeUs: number;
  readonly trueTimeUs: number;
  /** Whether the camera frame captured with this sweep reached the camera worker. */
  readonly cameraDelivered: boolean;
  readonly objects: readonly TruthObject[];
}

export interface SceneKey {
  readonly preset: PresetName;
  readonly seed: number;
  readonly durationS: number;
}

export interface Scene extends SceneKey {
  readonly format: number;
  readonly startTimeUs: number;
  readonly calibration: RigCalibration;
  readonly observations: readonly SceneObservation[];
  readonly truth: readonly SweepTruth[];
  /** Milliseconds of wall time spent making the scene, per stage. */
  readonly costMs: Readonly<Record<string, number>>;
  readonly detectorModelId: string;
  /**
   * Per LIDAR sweep (by its seq): the points the LIDAR worker's chain kept after the prefilter, voxel
   * grid, noise/outlier removal and ground segmentation (the non-ground points it clusters), in the
   * LIDAR's own frame, x y z interleaved. What early fusion paints. Not in the JSON: cached in a binary
   * side file (cache.ts); absent when the side file is.
   */
  readonly sweepPoints?: ReadonlyMap<number, Float32Array>;
}

export function sceneName(k: SceneKey): string {
  return `${k.preset}-seed${String(k.seed)}-${String(k.durationS)}s`;
}

