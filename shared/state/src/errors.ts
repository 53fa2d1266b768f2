import { SensorfuseError, TransientError } from '@sensorfuse/errors';

/** The state backend cannot be reached or is not ready (connection refused or lost, LOADING, BUSY…). */
export class StateUnavailableError extends TransientError {}

/** The key holds the other kind of value (a checkpoint read as plain bytes, or the reverse). */
export class StateKeyTypeError extends SensorfuseError {
  readonly retriable = false;
}

/** An argument was out of range: empty key, non-integer time or version, non-positive TTL. */
export class StateArgumentError extends SensorfuseError {
  readonly retriable = false;
}

/** The store was used after close(). */
export class StateClosedError extends SensorfuseError {
  readonly retriable = false;
}

/** The backend refused a command for a reason retrying will not fix, or returned data we did not write. */
export class StateBackendError extends SensorfuseError {
  readonly retriable = false;
}
