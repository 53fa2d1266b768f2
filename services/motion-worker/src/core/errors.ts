import { PoisonRecordError } from '@sensorfuse/errors';

/** The estimator produced a non-finite state (it should not): the sample is dead-lettered, nothing NaN is published. */
export class NonFiniteStateError extends PoisonRecordError {}
