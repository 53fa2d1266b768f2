import type { Tracer } from '@opentelemetry/api';
import { openSileroRunner, openSoundEventRunner, type ModelRunner, type OwnedModelRunner } from '@sensorfuse/audio';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { audioChunkSchema, audioEventsSchema, type AudioChunk, type AudioEvents } from '@sensorfuse/schemas';
import type { PipelineMetrics } from '@sensorfuse/telemetry';
import { nowUs } from '@sensorfuse/time';
import type { Bus } from '@sensorfuse/transport';
import { createWorker, type Worker, type WorkerLogger } from '@sensorfuse/worker';
import type { AudioConfig } from './config.js';
import { AudioCore } from './core/audio-core.js';

export const AUDIO_SERVICE = 'audio-worker';

export interface AudioWorkerOptions {
  /** Silero VAD runner shared by every sensor's processor (openSileroRunner). Omitted: no VAD. */
  readonly vadRunner?: ModelRunner;
  /** Sound-event classifier runner shared by every sensor's processor (openSoundEventRunner). Omitted: no classified events. */
  readonly eventRunner?: ModelRunner;
  /** Writer schemas this reader accepts besides the current AudioChunk (older producers). */
  readonly registry?: SchemaRegistry;
  readonly tracer?: Tracer;
  readonly metrics?: PipelineMetrics;
  readonly logger?: WorkerLogger;
  /** Clock of the outputs' publishTimeUs; default the wall clock. */
  readonly nowUs?: () => number;
}

export type AudioWorkerConfig = Pick<AudioConfig, 'inputTopic' | 'outputTopic' | 'groupId' | 'maxCaptureAheadUs' | 'audio'>;

/**
 * The audio worker on any bus: raw.audio AudioChunk → obs.audio AudioEvents (one AudioProcessor
 * per rig + sensor), bad chunks to raw.audio.dlq. The VAD runner is injected (the caller owns
 * it); `openAudioWorker` opens and closes one. Used by embedded mode with the shared MemoryBus.
 */
export function createAudioWorker(bus: Bus, config: AudioWorkerConfig, options: AudioWorkerOptions = {}): Worker {
  const registry = options.registry ?? new SchemaRegistry();
  const core = {
    params: config.audio,
    nowUs: options.nowUs ?? nowUs,
    ...(options.vadRunner === undefined ? {} : { vadRunner: options.vadRunner }),
    ...(options.eventRunner === undefined ? {} : { eventRunner: options.eventRunner }),
  };
  return createWorker<AudioChunk, AudioEvents>({
    name: AUDIO_SERVICE,
    bus,
    input: { topic: config.inputTopic, groupId: config.groupId, codec: createCodec<AudioChunk>(registry, audioChunkSchema) },
    output: { topic: config.outputTopic, codec: createCodec<AudioEvents>(registry, audioEventsSchema) },
    createCore: () => new AudioCore(core),
    maxCaptureAheadUs: config.maxCaptureAheadUs,
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

/**
 * The service's composition: opens the Silero runner (when vad.mode is on) and the sound-event
 * classifier runner (events.mode on), each on the calling thread or in an inference pool as the
 * config's `thread` says, and builds the worker; draining the worker closes them.
 */
export async function openAudioWorker(bus: Bus, config: AudioWorkerConfig, options: Omit<AudioWorkerOptions, 'vadRunner' | 'eventRunner'> = {}): Promise<Worker> {
  const vad = config.audio.vad;
  const pool = vad.mode === 'on' ? await openSileroRunner({ thread: vad.thread, workers: vad.poolWorkers }) : undefined;
  const events = config.audio.events;
  let eventPool: OwnedModelRunner | undefined;
  try {
    eventPool = events.mode === 'on' ? await openSoundEventRunner({ thread: events.thread, ...(events.modelPath === '' ? {} : { modelPath: events.modelPath }) }) : undefined;
  } catch (error) {
    await pool?.close();
    throw error;
  }
  const worker = createAudioWorker(bus, config, {
    ...options,
    ...(pool === undefined ? {} : { vadRunner: pool }),
    ...(eventPool === undefined ? {} : { eventRunner: eventPool }),
  });
  return {
    name: worker.name,
    get state() {
      return worker.state;
    },
    start: (onFatal) => {
      worker.start(onFatal);
    },
    isReady: () => worker.isReady(),
    stats: () => worker.stats(),
    drain: async () => {
      await worker.drain();
      await pool?.close();
      await eventPool?.close();
    },
  };
}
