import { SensorfuseError } from '@sensorfuse/errors';

/**
 * The evaluation inputs are inconsistent (a distance matrix of the wrong shape, a duplicated id in one
 * frame, a non-finite score…). Retrying with the same inputs cannot help, so it is not retriable.
 */
export class InvalidEvalInputError extends SensorfuseError {
  readonly retriable = false;
}
