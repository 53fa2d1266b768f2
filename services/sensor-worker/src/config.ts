import { loadConfig, type LoadedConfig } from '@sensorfuse/config';
import { telemetryConfigSchema } from '@sensorfuse/telemetry';
import { busConfigSchema } from '@sensorfuse/worker';
import { z } from 'zod';
import { sensorParamsSchema } from './core/params.js';

export const SENSOR_ENV_PREFIX = 'SENSORFUSE_SENSOR_';

export const sensorConfigSchema = z.strictObject({
  inputTopic: z.string().min(1).max(249).default('raw.sensor').describe('Topic of SensorReading records'),
  outputTopic: z.string().min(1).max(249).default('obs.sensor').describe('Topic of SensorState records'),
  groupId: z.string().min(1).max(255).default('sensor-worker').describe('Consumer group shared by all instances'),
  maxCaptureAheadUs: z
    .number()
    .int()
    .min(1_000)
    .max(86_400_000_000)
    .default(5_000_000)
    .describe('A capture time this far after the broker received the reading is a clock fault (dead-lettered), microseconds'),
  shutdownGraceMs: z.number().int().min(100).max(600_000).default(10_000).describe('Longest drain on shutdown, milliseconds'),
  sensor: sensorParamsSchema,
  bus: busConfigSchema,
  telemetry: telemetryConfigSchema,
});

export type SensorConfig = LoadedConfig<typeof sensorConfigSchema>;

/** Defaults < JSON file (SENSORFUSE_SENSOR_CONFIG_FILE) < environment (SENSORFUSE_SENSOR_*). */
export function loadSensorConfig(env?: Readonly<Record<string, string | undefined>>): SensorConfig {
  return loadConfig(sensorConfigSchema, { envPrefix: SENSOR_ENV_PREFIX, ...(env === undefined ? {} : { env }) });
}
