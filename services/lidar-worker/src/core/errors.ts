import { PoisonRecordError, type SensorfuseErrorOptions } from '@sensorfuse/errors';

/** A sweep with no usable point: nothing at all, or only NaN/Inf/zero/out-of-range returns. */
export class EmptyScanError extends PoisonRecordError {
  constructor(
    readonly reason: 'no-points' | 'no-valid-points',
    message: string,
    options: SensorfuseErrorOptions = {},
  ) {
    super(message, { ...options, context: { reason, ...options.context } });
  }
}

/** A point field the chain cannot read (x, y, z or intensity with count ≠ 1). */
export class UnsupportedPointFieldError extends PoisonRecordError {}
