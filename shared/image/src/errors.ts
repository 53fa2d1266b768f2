import { PoisonRecordError, SensorfuseError, type ErrorContext } from '@sensorfuse/errors';

/** The bytes are not a readable image of the declared encoding (corrupt or truncated JPEG/PNG). */
export class ImageDecodeError extends PoisonRecordError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super(message, { context, cause });
  }
}

/** Width, height or stride disagree with the bytes, or the image has no pixels. */
export class ImageDimensionError extends PoisonRecordError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, { context });
  }
}

/** The image has more pixels than the configured cap (checked before decoding the pixels). */
export class ImageTooLargeError extends PoisonRecordError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, { context });
  }
}

/**
 * The pre-processing thread died (crash or exit) while it held this request: the request fails, the
 * thread is restarted (with back-off) and later requests go to the new one. Not retried: the frame
 * it was working on may be what crashed it.
 */
export class PreprocessorCrashedError extends SensorfuseError {
  readonly retriable = false;
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super(message, { context, cause });
  }
}
