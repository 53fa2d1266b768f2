import type { CommonFields } from '@sensorfuse/codec';
import type { Micros } from '@sensorfuse/time';

/** Where a record came from and when the broker got it; handed to the core with each input. */
export interface CoreContext {
  /** Broker (log-append) time of the input record, integer µs: the latest the sample can have been taken. */
  readonly receivedAtUs: Micros;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * The pure algorithm a worker runs, as Autoware's `update(input) → output`: no I/O, no Kafka.
 * One instance per state key (default rig + sensor); it may keep state between calls. Throwing
 * for an input sends that record to the dead-letter topic with the error's class as the reason
 * and leaves the worker running; an empty array means "nothing to publish for this input".
 */
export interface WorkerCore<I, O> {
  update(input: I, context: CoreContext): readonly O[] | Promise<readonly O[]>;
}

/** The life cycle of a worker (a subset of the service's: the service adds starting). */
export type WorkerState = 'idle' | 'running' | 'draining' | 'stopped' | 'failed';

/** Counters since `start`, for tests, benchmarks and logs (the metrics carry the same facts). */
export interface WorkerStats {
  /** Records received from the bus. */
  readonly consumed: number;
  /** Input records fully handled: outputs published and the input committed. */
  readonly processed: number;
  /** Output records published. */
  readonly published: number;
  /** Input records sent to `<input topic>.dlq`. */
  readonly deadLettered: number;
  /** Dead letters by reason (error class name). */
  readonly deadLetterReasons: Readonly<Record<string, number>>;
  /** Records received while draining and left uncommitted for the next group member. */
  readonly handedBack: number;
  /** Commits the bus refused (partition revoked): the record is redelivered to its new owner. */
  readonly commitsRejected: number;
  /** Core instances alive now (one per state key). */
  readonly cores: number;
  /** Core instances evicted because `maxCores` was reached (their state is lost). */
  readonly coresEvicted: number;
}

/** A pino-compatible logger (only what the worker uses). */
export interface WorkerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export type { CommonFields };
