import { SensorfuseError } from '@sensorfuse/errors';

/** Draining did not finish within the grace period; the service ends as `failed`. */
export class ShutdownTimeoutError extends SensorfuseError {
  readonly retriable = false;
  constructor(
    readonly service: string,
    readonly graceMs: number,
  ) {
    super(`${service} did not drain within its grace period of ${graceMs} ms; giving up on in-flight work`, {
      context: { service, graceMs },
    });
  }
}

/** A second shutdown signal arrived while draining: the operator asked to stop now. */
export class ShutdownInterruptedError extends SensorfuseError {
  readonly retriable = false;
  constructor(
    readonly service: string,
    readonly signal: string,
  ) {
    super(`${service} received ${signal} again while draining; stopping without waiting for the drain`, {
      context: { service, signal },
    });
  }
}

/** `start` threw or rejected; the cause says why. */
export class ServiceStartError extends SensorfuseError {
  readonly retriable = false;
  constructor(
    readonly service: string,
    cause: unknown,
  ) {
    super(`${service} failed to start: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, context: { service } });
  }
}

/** The service reported a fatal error while running (`ctx.fail(error)`), e.g. its consumer crashed. */
export class ServiceFatalError extends SensorfuseError {
  readonly retriable = false;
  constructor(
    readonly service: string,
    cause: unknown,
  ) {
    super(`${service} failed while running: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, context: { service } });
  }
}

/** `drain` threw or rejected; the cause says why. */
export class ServiceDrainError extends SensorfuseError {
  readonly retriable = false;
  constructor(
    readonly service: string,
    cause: unknown,
  ) {
    super(`${service} failed to drain: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, context: { service } });
  }
}
