export { createAudioWorker, openAudioWorker, AUDIO_SERVICE } from './worker.js';
export type { AudioWorkerOptions, AudioWorkerConfig } from './worker.js';
export { audioConfigSchema, audioParamsSchema, loadAudioConfig, AUDIO_ENV_PREFIX } from './config.js';
export type { AudioConfig, AudioParamsConfig } from './config.js';
export { AudioCore } from './core/audio-core.js';
export type { AudioCoreOptions } from './core/audio-core.js';
export { audioProcessorParams, microphoneArray } from './core/params.js';
export { UnsupportedAudioChunkError, MicrophoneArrayMismatchError } from './core/errors.js';
