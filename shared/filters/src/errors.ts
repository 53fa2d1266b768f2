import { PoisonRecordError, type SensorfuseErrorOptions } from '@sensorfuse/errors';

export type TimestampRejectReason = 'not-integer' | 'zero-or-negative' | 'implausible' | 'future';
export type ValueRejectReason = 'unknown-kind' | 'malformed' | 'non-finite' | 'out-of-range';

/** A motion sample the estimator refuses; it goes to the DLQ with `reason`. */
export abstract class MotionSampleRejectedError extends PoisonRecordError {
  abstract readonly reason: TimestampRejectReason | ValueRejectReason;
}

export class InvalidTimestampError extends MotionSampleRejectedError {
  readonly reason: TimestampRejectReason;
  constructor(reason: TimestampRejectReason, message: string, options?: SensorfuseErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

export class InvalidSampleValueError extends MotionSampleRejectedError {
  readonly reason: ValueRejectReason;
  constructor(reason: ValueRejectReason, message: string, options?: SensorfuseErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}
