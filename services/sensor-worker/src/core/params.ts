import type { DeepReadonly } from '@sensorfuse/config';
import { z } from 'zod';

const micros = (min: number, max: number, value: number, what: string) => z.number().int().min(min).max(max).default(value).describe(what);

/** The sensor core's tunable parameters. */
export const sensorParamsSchema = z.strictObject({
  hampelWindow: z.number().int().min(3).max(101).default(7).describe('Samples in the causal Hampel window (the current one included)'),
  hampelSigmas: z.number().min(1).max(20).default(4.5).describe('Hampel threshold in robust standard deviations (1.4826·MAD, floored at the noise std and resolution)'),
  stuckWindowUs: micros(1_000, 86_400_000_000, 10_000_000, 'A component unchanged (within resolution/2) for this long is flagged stuck, microseconds'),
  gapMethod: z
    .enum(['linear', 'multiple', 'kalman', 'last_value', 'mean'])
    .default('linear')
    .describe('Imputation of missing samples once the next reading arrives (both ends known): linear = Kalman-bridged interpolation'),
  silentMethod: z
    .enum(['cross_sensor', 'kalman', 'last_value', 'mean'])
    .default('cross_sensor')
    .describe('Imputation for a silent sensor and for rejected readings (no future sample); cross_sensor falls back to kalman without a good predictor'),
  silentAfterPeriods: z.number().min(1).max(1000).default(3).describe('A sensor with no reading for this many expected periods is silent and imputed in real time'),
  maxImputeUs: micros(0, 86_400_000_000, 60_000_000, 'No imputation later than this after the last accepted measurement (the sensor is then reported missing by its absence), microseconds'),
  maxImputedPerReading: z.number().int().min(0).max(100_000).default(600).describe('Bound on imputed records emitted for one input reading'),
  multipleDraws: z.number().int().min(2).max(1000).default(20).describe('Draws of multiple imputation'),
  multipleDof: z.number().int().min(2).max(10_000).default(30).describe('Degrees of freedom of the process-noise uncertainty drawn in multiple imputation'),
  seed: z.number().int().min(0).max(2 ** 31).default(1).describe('Seed of the multiple-imputation draws (reproducible output)'),
  crossSensor: z.strictObject({
    minRSquared: z.number().min(0).max(1).default(0.9).describe('Share of a target variance a predictor must explain to impute it'),
    minPairs: z.number().int().min(3).max(1_000_000).default(50).describe('Co-observed samples before a regression may impute'),
    forgetting: z.number().min(0.9).max(1).default(0.999).describe('RLS forgetting factor per sample'),
    maxSensorsPerRig: z.number().int().min(0).max(256).default(32).describe('Scalar sensors per rig taking part in pairwise regressions (cost grows with its square)'),
  }),
});

export type SensorParams = DeepReadonly<z.output<typeof sensorParamsSchema>>;
