import { PoisonRecordError, type SensorfuseErrorOptions } from '@sensorfuse/errors';

/** A chunk whose descriptor is outside what this worker is configured to take (rate, channel count, duration). */
export class UnsupportedAudioChunkError extends PoisonRecordError {
  constructor(
    readonly reason: 'sample-rate' | 'channels' | 'too-long',
    message: string,
    options: SensorfuseErrorOptions = {},
  ) {
    super(message, { ...options, context: { reason, ...options.context } });
  }
}

/** The chunk's channel count differs from the number of microphones in the array geometry (DOA cannot run). */
export class MicrophoneArrayMismatchError extends PoisonRecordError {}
