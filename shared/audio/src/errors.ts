import { PoisonRecordError, type ErrorContext } from '@sensorfuse/errors';

/** The bytes of a chunk disagree with its descriptor (odd byte count, frames × channels, channel count). */
export class AudioFormatError extends PoisonRecordError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, { context });
  }
}

/** Samples that are not finite numbers (NaN or ±Inf in f32le data). */
export class AudioNonFiniteError extends PoisonRecordError {
  constructor(readonly index: number, context: ErrorContext = {}) {
    super(`expected finite samples, found a non-finite value at interleaved index ${String(index)}`, {
      context: { ...context, index },
    });
  }
}

/** A chunk starts before the previous one ended (overlap or duplicate data) by less than a restart. */
export class AudioTimeOverlapError extends PoisonRecordError {
  constructor(expectedUs: number, foundUs: number, context: ErrorContext = {}) {
    super(
      `expected the chunk to start at ${String(expectedUs)} us (end of the previous chunk), found ${String(foundUs)} us: it overlaps the previous chunk`,
      { context: { ...context, expectedUs, foundUs } },
    );
  }
}

/** A parameter outside its range (caught at construction, never per chunk). */
export class AudioConfigError extends PoisonRecordError {}
