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
  // Fitted for sim-detector v4 on the calibration seeds 61–64, all five presets (src/eval/fit-camera-calibration.ts).
  cameraScoreCalibration: Object.freeze({
    car: { a: 2.826, b: 1.79 },
    truck: { a: 3.925, b: 1.761 },
    pedestrian: { a: 3.121, b: 2.686 },
    cyclist: { a: 3.274, b: 2.521 },
    animal: { a: 3.425, b: 1.497 },
  }),
  cameraReliabilityFloor: 0.5,
});
