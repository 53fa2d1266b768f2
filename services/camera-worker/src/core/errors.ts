import { SensorfuseError } from '@sensorfuse/errors';

/**
 * The detector's output tensor is not one of the supported layouts, or disagrees with the model
 * card (class count). A configuration fault of the model, not of a record: raised at start-up
 * with the model name and the shape, never retried.
 */
export class DetectorOutputShapeError extends SensorfuseError {
  readonly retriable = false;
  constructor(message: string, context: { readonly model?: string; readonly shape?: string } = {}) {
    super(message, { context });
  }
}
