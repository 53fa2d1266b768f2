export { createMotionWorker, MOTION_SERVICE } from './worker.js';
export type { MotionWorkerOptions } from './worker.js';
export { loadMotionConfig, motionConfigSchema, motionParamsSchema, MOTION_ENV_PREFIX } from './config.js';
export type { MotionConfig, MotionParamsConfig } from './config.js';
export { MotionCore } from './core/motion-core.js';
export type { MotionCoreOptions, MotionCoreStats } from './core/motion-core.js';
export { motionCoreOptions } from './core/params.js';
export { NonFiniteStateError } from './core/errors.js';
