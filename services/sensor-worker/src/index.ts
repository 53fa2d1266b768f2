export { createSensorWorker, SENSOR_SERVICE } from './worker.js';
export type { SensorWorkerOptions } from './worker.js';
export { loadSensorConfig, sensorConfigSchema, SENSOR_ENV_PREFIX } from './config.js';
export type { SensorConfig } from './config.js';
export { sensorParamsSchema } from './core/params.js';
export type { SensorParams } from './core/params.js';
export { createSensorCoreStats, MAX_COMPONENTS, SensorCore, SILENCE_CHECK_INTERVAL_US } from './core/sensor-core.js';
export type { SensorCoreOptions, SensorCoreStats } from './core/sensor-core.js';
export { DuplicateReadingError, InvalidReadingError, OutOfOrderReadingError } from './core/errors.js';
