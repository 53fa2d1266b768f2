import { PoisonRecordError, type SensorfuseErrorOptions } from '@sensorfuse/errors';

/** A SensorReading field no worker can use (no values, too many components, bad metadata…). */
export class InvalidReadingError extends PoisonRecordError {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly found: string,
    options: SensorfuseErrorOptions = {},
  ) {
    super(`invalid sensor reading: ${field} expected ${expected}, found ${found}`, { ...options, context: { field, ...options.context } });
  }
}

/** The same sample again (same seq, capture time not newer): dead-lettered so it is counted, never lost. */
export class DuplicateReadingError extends PoisonRecordError {}

/** A capture time not after the sensor's previous one (a clock jump back or reordering upstream). */
export class OutOfOrderReadingError extends PoisonRecordError {}
