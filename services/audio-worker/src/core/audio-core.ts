import { AudioProcessor, toAudioEvents, type AudioAnalysis, type ModelRunner } from '@sensorfuse/audio';
import type { AudioChunk, AudioEvents } from '@sensorfuse/schemas';
import type { Micros } from '@sensorfuse/time';
import type { AudioParamsConfig } from '../config.js';
import { MicrophoneArrayMismatchError, UnsupportedAudioChunkError } from './errors.js';
import { audioProcessorParams, classifierFits, microphoneArray } from './params.js';

export interface AudioCoreOptions {
  readonly params: AudioParamsConfig;
  /** Silero VAD runner (an InferencePool in the service); omitted or with vad.mode off: no VAD. */
  readonly vadRunner?: ModelRunner;
  /** Sound-event classifier runner (an InferencePool); omitted or with events.mode off: no classified events. */
  readonly eventRunner?: ModelRunner;
  /** Clock of the outputs' publishTimeUs (injected: the core reads no clock itself). */
  readonly nowUs: () => Micros;
}

/**
 * AudioChunk → AudioEvents for one microphone array (one instance per rig + sensor): shared/audio's
 * AudioProcessor (high-pass, MCRA/Wiener denoise, SNR, log-mel, Silero VAD, sound-event classifier, GCC-PHAT DOA, state
 * carried across chunks) behind the wire types. The processor is made from the first chunk that
 * it accepts, so a malformed first chunk does not fix the stream's format. Rejected chunks throw
 * typed PoisonRecordErrors (→ DLQ with the reason); the processor's state is left as it was.
 */
export class AudioCore {
  private processor: AudioProcessor | undefined;
  private seq = 0;
  private lastAnalysis: AudioAnalysis | undefined;

  constructor(private readonly options: AudioCoreOptions) {}

  async update(chunk: AudioChunk): Promise<AudioEvents[]> {
    this.check(chunk);
    const processor = this.processor ?? this.makeProcessor(chunk);
    const analysis = await processor.process(chunk);
    this.processor = processor;
    this.lastAnalysis = analysis;
    const out = toAudioEvents(analysis, {
      rigId: chunk.rigId,
      seq: this.seq,
      publishTimeUs: this.options.nowUs(),
      frameId: this.options.params.array.frameId,
    });
    this.seq++;
    return [out];
  }

  /** The last chunk's full analysis (log-mel rows, VAD probabilities, discontinuity) for in-process users. */
  latest(): AudioAnalysis | undefined {
    return this.lastAnalysis;
  }

  private check(chunk: AudioChunk): void {
    const c = this.options.params.chunk;
    const context = { rigId: chunk.rigId, sensorId: chunk.sensorId, seq: chunk.seq };
    if (!(chunk.sampleRateHz >= c.minSampleRateHz && chunk.sampleRateHz <= c.maxSampleRateHz)) {
      throw new UnsupportedAudioChunkError('sample-rate', `expected a sample rate in [${String(c.minSampleRateHz)}, ${String(c.maxSampleRateHz)}] Hz, found ${String(chunk.sampleRateHz)}`, { context });
    }
    if (!(chunk.channels >= 1 && chunk.channels <= c.maxChannels)) {
      throw new UnsupportedAudioChunkError('channels', `expected 1..${String(c.maxChannels)} channels, found ${String(chunk.channels)}`, { context });
    }
    const durationUs = (chunk.frames / chunk.sampleRateHz) * 1e6;
    if (durationUs > c.maxDurationUs) {
      throw new UnsupportedAudioChunkError('too-long', `expected a chunk of at most ${String(c.maxDurationUs)} us, found ${String(chunk.frames)} frames = ${String(Math.round(durationUs))} us`, { context });
    }
  }

  private makeProcessor(chunk: AudioChunk): AudioProcessor {
    const params = this.options.params;
    const array = microphoneArray(params);
    if (array !== undefined && array.positions.length !== chunk.channels) {
      throw new MicrophoneArrayMismatchError(
        `expected ${String(array.positions.length)} channels (one per microphone of the configured array), found ${String(chunk.channels)}`,
        { context: { rigId: chunk.rigId, sensorId: chunk.sensorId, seq: chunk.seq } },
      );
    }
    const vadRunner = params.vad.mode === 'on' ? this.options.vadRunner : undefined;
    const processorParams = audioProcessorParams(params, chunk.sampleRateHz, chunk.channels);
    // the classifier only hears features like those it was trained on (see classifierFits)
    const eventRunner = params.events.mode === 'on' && classifierFits(processorParams) ? this.options.eventRunner : undefined;
    return new AudioProcessor(processorParams, {
      ...(vadRunner === undefined ? {} : { vadRunner }),
      ...(eventRunner === undefined ? {} : { eventRunner }),
      ...(array === undefined ? {} : { array }),
    });
  }
}
