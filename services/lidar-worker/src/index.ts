export { createLidarWorker, LIDAR_SERVICE } from './worker.js';
export type { LidarWorkerOptions } from './worker.js';
export { lidarConfigSchema, lidarParamsSchema, loadLidarConfig, LIDAR_ENV_PREFIX } from './config.js';
export type { LidarConfig, LidarParamsConfig } from './config.js';
export { LidarCore, scanFields } from './core/lidar-core.js';
export type { LidarCoreOptions } from './core/lidar-core.js';
export { lidarParams } from './core/params.js';
export { EmptyScanError, UnsupportedPointFieldError } from './core/errors.js';
