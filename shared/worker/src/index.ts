export { createWorker } from './worker.js';
export type { Worker, WorkerInput, WorkerOptions, WorkerOutput, WorkerRetry } from './worker.js';
export type { CoreContext, WorkerCore, WorkerLogger, WorkerState, WorkerStats } from './types.js';
export { busConfigSchema, createBus, ensureTopics } from './bus.js';
export type { BusConfig } from './bus.js';
export { runWorker } from './run.js';
export type { RunWorkerOptions } from './run.js';
