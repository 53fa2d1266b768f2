import { PoisonRecordError, SensorfuseError, type SensorfuseErrorOptions } from '@sensorfuse/errors';

/** A recording (or a recorded message) that cannot be read: corrupt, truncated or foreign. */
export class RecordingFormatError extends PoisonRecordError {}

/** A file system failure while writing or reading a recording (disk full, permissions). */
export class RecordingIoError extends SensorfuseError {
  readonly retriable = false;
  constructor(message: string, options: SensorfuseErrorOptions = {}) {
    super(message, options);
  }
}

/** A dataset folder that does not have the layout an importer expects. */
export class DatasetFormatError extends PoisonRecordError {}

/** The caller asked for something impossible (bad option values, replay of an empty selection). */
export class RecorderUsageError extends SensorfuseError {
  readonly retriable = false;
}
