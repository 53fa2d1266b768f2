/**
 * Every error the pipeline raises on purpose extends SensorfuseError: a stable `name` (the class
 * name, used as the DLQ reason and in metrics), a `retriable` flag decided once by the class, the
 * underlying `cause`, and context fields (topic, partition, offset, sensorId…) that say where it
 * happened. Messages say what was expected and what was found.
 */
export interface ErrorContext {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly sensorId?: string;
  readonly rigId?: string;
  readonly [key: string]: string | number | boolean | undefined;
}

export interface SensorfuseErrorOptions {
  readonly cause?: unknown;
  readonly context?: ErrorContext;
}

export abstract class SensorfuseError extends Error {
  /** Whether retrying the same operation may succeed (a broker hiccup) or not (a poison record). */
  abstract readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(message: string, options: SensorfuseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }

  /** A copy of this error with more context (e.g. the transport adds topic/partition/offset). */
  withContext(context: ErrorContext): this {
    const copy = Object.create(
      Object.getPrototypeOf(this) as object,
      Object.getOwnPropertyDescriptors(this),
    ) as this;
    Object.defineProperty(copy, 'context', {
      value: Object.freeze({ ...this.context, ...context }),
      enumerable: true,
    });
    return copy;
  }
}

/** An input record that can never be processed: it goes to the dead-letter topic, never retried. */
export abstract class PoisonRecordError extends SensorfuseError {
  readonly retriable = false;
}

/** A transient failure of infrastructure (broker, Redis): retry with back-off. */
export abstract class TransientError extends SensorfuseError {
  readonly retriable = true;
}

/** The single place that decides whether to retry: from the error class, never from the message. */
export function isRetriable(error: unknown): boolean {
  return error instanceof SensorfuseError ? error.retriable : false;
}

/** Name of an error for a DLQ header or a metric label. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
