import type { SensorType } from '@sensorfuse/schemas';
import type { ProcessModel } from './kalman1d.js';
import type { Dimension } from './units.js';

/**
 * What a sensor type measures and how it behaves, in SI units of its dimension. A sensor's own
 * metadata (range, resolution, rate, noise) overrides the profile's.
 */
export interface SensorProfile {
  /** Units of this dimension are accepted; `dimensionless` for `other` accepts any known unit. */
  readonly dimension: Dimension;
  readonly model: ProcessModel;
  /** q: unit²/s (random_walk) or unit²/s³ (constant_rate). */
  readonly processNoise: number;
  /** Measurement noise 1σ. */
  readonly noiseStd: number;
  readonly minValue: number;
  readonly maxValue: number;
  /** Reporting step; 0 = continuous. */
  readonly resolution: number;
  readonly expectedRateHz: number;
}

/** Typical automotive / robotics device sensors; the worker's config may override any field. */
export const DEFAULT_SENSOR_PROFILES: Readonly<Record<SensorType, SensorProfile>> = {
  other: { dimension: 'dimensionless', model: 'random_walk', processNoise: 1, noiseStd: 1, minValue: -1e12, maxValue: 1e12, resolution: 0, expectedRateHz: 1 },
  temperature: { dimension: 'temperature', model: 'random_walk', processNoise: 0.01, noiseStd: 0.1, minValue: -60, maxValue: 150, resolution: 0, expectedRateHz: 1 },
  humidity: { dimension: 'ratio_percent', model: 'random_walk', processNoise: 0.05, noiseStd: 1, minValue: 0, maxValue: 100, resolution: 0, expectedRateHz: 1 },
  pressure: { dimension: 'pressure', model: 'random_walk', processNoise: 100, noiseStd: 10, minValue: 0, maxValue: 1e7, resolution: 0, expectedRateHz: 1 },
  battery_voltage: { dimension: 'voltage', model: 'random_walk', processNoise: 1e-4, noiseStd: 0.01, minValue: 0, maxValue: 1000, resolution: 0, expectedRateHz: 1 },
  battery_charge: { dimension: 'ratio_percent', model: 'random_walk', processNoise: 1e-4, noiseStd: 0.5, minValue: 0, maxValue: 100, resolution: 0, expectedRateHz: 1 },
  current: { dimension: 'current', model: 'random_walk', processNoise: 1, noiseStd: 0.1, minValue: -2000, maxValue: 2000, resolution: 0, expectedRateHz: 10 },
  wheel_speed: { dimension: 'speed', model: 'constant_rate', processNoise: 1, noiseStd: 0.05, minValue: -20, maxValue: 120, resolution: 0, expectedRateHz: 10 },
  speed: { dimension: 'speed', model: 'constant_rate', processNoise: 1, noiseStd: 0.1, minValue: -20, maxValue: 120, resolution: 0, expectedRateHz: 10 },
  distance: { dimension: 'length', model: 'constant_rate', processNoise: 1, noiseStd: 0.01, minValue: 0, maxValue: 500, resolution: 0, expectedRateHz: 10 },
  gas_concentration: { dimension: 'concentration', model: 'random_walk', processNoise: 1, noiseStd: 5, minValue: 0, maxValue: 1e6, resolution: 0, expectedRateHz: 1 },
  rotation_rate: { dimension: 'angular_rate', model: 'constant_rate', processNoise: 1, noiseStd: 0.01, minValue: -2000, maxValue: 2000, resolution: 0, expectedRateHz: 10 },
};
