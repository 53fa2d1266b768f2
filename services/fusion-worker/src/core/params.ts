import type { FusionParams } from './types.js';

/**
 * Defaults for tests and benchmarks that run the core without the service config. The service's schema
 * (config.ts) is the documented source; a spec checks that both agree.
 */
export const DEFAULT_FUSION_PARAMS: FusionParams = Object.freeze({
  minIou: 0.1,
  minVisibleFraction: 0.05,
  lidarMaxRangeM: 60,
  cameraOnlyInRangeWeight: 0.9,
  lidarOnlyConfidence: 0.6,
  lidarFullPoints: 50,
  bearingGateSigma: 3,
  minBearingGateRad: 0.17,
  gateProbability: 0.99,
  confirmHits: 3,
  lostAfterUs: 300_000,
  deleteAfterUs: 2_000_000,
  accelNoiseVehicle: 4,
  accelNoisePedestrian: 1,
  lidarPositionStdM: 0.3,
  cameraDepthRelStd: 0.15,
  minStartScore: 0.3,
  confirmMaxPositionStdM: 3.5,
  fragmentGateSigma: 2.5,
  // Fitted for sim-detector v5 on the calibration seeds 61–64, all five presets (src/eval/fit-camera-calibration.ts).
  cameraScoreCalibration: Object.freeze({
    car: { a: 2.773, b: 1.005 },
    truck: { a: 3.283, b: 1.017 },
    pedestrian: { a: 3.312, b: 1.925 },
    cyclist: { a: 3.284, b: 1.647 },
    animal: { a: 3.489, b: 1.163 },
  }),
  cameraReliabilityFloor: 0.5,
});
