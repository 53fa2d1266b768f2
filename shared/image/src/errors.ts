import { PoisonRecordError, type ErrorContext } from '@sensorfuse/errors';

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
