import {
  ServiceDrainError,
  ServiceFatalError,
  ServiceStartError,
  ShutdownInterruptedError,
  ShutdownTimeoutError,
} from './errors.js';

/** The life cycle of every service: starting → running → draining → stopped, or failed. */
export type ServiceState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

/** Why the service began draining. */
export type ShutdownReason =
  | { readonly kind: 'signal'; readonly signal: NodeJS.Signals }
  | { readonly kind: 'abort' }
  | { readonly kind: 'fatal'; readonly error: Error }
  | { readonly kind: 'start-failed'; readonly error: Error };

export interface StateChange {
  readonly service: string;
  readonly from: ServiceState | undefined;
  readonly to: ServiceState;
  /** Set from `draining` on. */
  readonly reason?: ShutdownReason;
  /** Set on `failed`. */
  readonly error?: Error;
}

/** Handed to `start`. */
export interface ServiceContext {
  /** Aborted when shutdown begins (signal, abort, fatal error); long-running start-up work should stop on it. */
  readonly signal: AbortSignal;
  /** Reports a fatal error while running (a consumer crashed): the service drains and ends as `failed`. */
  fail(error: unknown): void;
}

export interface RunServiceOptions {
  readonly name: string;
  /** Creates adapters and subscribes the pipeline; resolves once the service is running. */
  start(context: ServiceContext): void | Promise<void>;
  /**
   * Stops taking input, finishes or hands back in-flight work, commits, closes connections. Called
   * once, also after a failed or interrupted start, so it must tolerate a partial start.
   */
  drain(info: { readonly reason: ShutdownReason }): void | Promise<void>;
  /** Longest time draining may take (counted from the shutdown request); then `ShutdownTimeoutError`. */
  readonly graceMs: number;
  /** Requests shutdown when aborted (tests, or a host process embedding the service). */
  readonly signal?: AbortSignal;
  /** Process signals that request shutdown; default SIGINT and SIGTERM. A second one while draining stops at once. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Called synchronously on every state change. A listener that throws is ignored, it cannot break the life cycle. */
  readonly onStateChange?: (change: StateChange) => void;
  /**
   * What to do with the process when the service ends: `'set-exit-code'` (default) sets
   * `process.exitCode` to 0 (stopped) or 1 (failed) and lets Node exit when its handles are closed;
   * `'exit-process'` calls `process.exit` with it (for a drain that timed out leaving handles open);
   * `'none'` leaves the process alone (tests, embedding).
   */
  readonly exit?: 'set-exit-code' | 'exit-process' | 'none';
}

export interface ServiceOutcome {
  readonly service: string;
  readonly state: 'stopped' | 'failed';
  readonly exitCode: 0 | 1;
  readonly reason: ShutdownReason;
  /** Why the service failed: ServiceStartError, ServiceFatalError, ServiceDrainError, ShutdownTimeoutError or ShutdownInterruptedError. */
  readonly error?: Error;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function attempt(work: () => void | Promise<void>): Promise<{ error: unknown } | undefined> {
  try {
    await work();
    return undefined;
  } catch (error) {
    return { error };
  }
}

/**
 * Runs a service until SIGINT/SIGTERM (or `options.signal`), then drains it within `graceMs`.
 * Never rejects: the outcome says whether the service stopped cleanly or failed, and why, and the
 * process exit code is set from it (see `exit`).
 */
export async function runService(options: RunServiceOptions): Promise<ServiceOutcome> {
  const { name } = options;
  let state: ServiceState | undefined;
  const transition = (to: ServiceState, extra: Pick<StateChange, 'reason' | 'error'> = {}): void => {
    const from = state;
    state = to;
    try {
      options.onStateChange?.({ service: name, from, to, ...extra });
    } catch {
      // A broken listener must not keep a service from stopping.
    }
  };

  const controller = new AbortController();
  const shutdown = deferred<ShutdownReason>();
  const interrupted = deferred<ShutdownInterruptedError>();
  let fatal: ServiceFatalError | undefined;
  const requestShutdown = (reason: ShutdownReason): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    shutdown.resolve(reason);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) interrupted.resolve(new ShutdownInterruptedError(name, signal));
    else requestShutdown({ kind: 'signal', signal });
  };
  const signals = options.signals ?? (['SIGINT', 'SIGTERM'] as const);
  for (const signal of signals) process.on(signal, onSignal);
  const onAbort = (): void => {
    requestShutdown({ kind: 'abort' });
  };
  if (options.signal?.aborted === true) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const context: ServiceContext = {
    signal: controller.signal,
    fail(error) {
      fatal ??= new ServiceFatalError(name, error);
      requestShutdown({ kind: 'fatal', error: fatal });
    },
  };

  let outcome: ServiceOutcome;
  try {
    transition('starting');
    const started = attempt(() => options.start(context)).then((failure) =>
      failure === undefined ? undefined : new ServiceStartError(name, failure.error),
    );
    const first = await Promise.race([
      started.then((error) => ({ kind: 'started' as const, error })),
      shutdown.promise.then((reason) => ({ kind: 'shutdown' as const, reason })),
    ]);

    let startError: Error | undefined;
    let reason: ShutdownReason;
    if (first.kind === 'shutdown') {
      reason = first.reason;
    } else if (first.error === undefined) {
      transition('running');
      reason = await shutdown.promise;
    } else {
      startError = first.error;
      reason = { kind: 'start-failed', error: first.error };
      requestShutdown(reason);
    }

    transition('draining', { reason });
    // The grace period covers what is left of start-up (when shutdown came first) plus the drain.
    const drained = (async (): Promise<Error | undefined> => {
      const lateStartError: Error | undefined = await started;
      startError ??= lateStartError;
      const failure = await attempt(() => options.drain({ reason }));
      return failure === undefined ? undefined : new ServiceDrainError(name, failure.error);
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ShutdownTimeoutError>((resolve) => {
      timer = setTimeout(() => {
        resolve(new ShutdownTimeoutError(name, options.graceMs));
      }, options.graceMs);
    });
    const drainError = await Promise.race([drained, timedOut, interrupted.promise]);
    clearTimeout(timer);

    // The first cause wins: a failed start or a fatal error explains a later drain failure.
    const error = startError ?? fatal ?? drainError;
    outcome =
      error === undefined
        ? { service: name, state: 'stopped', exitCode: 0, reason }
        : { service: name, state: 'failed', exitCode: 1, reason, error };
    transition(outcome.state, error === undefined ? { reason } : { reason, error });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    options.signal?.removeEventListener('abort', onAbort);
  }

  const exit = options.exit ?? 'set-exit-code';
  if (exit === 'set-exit-code') process.exitCode = outcome.exitCode;
  else if (exit === 'exit-process') process.exit(outcome.exitCode);
  return outcome;
}
