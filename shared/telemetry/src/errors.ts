import { SensorfuseError, TransientError } from '@sensorfuse/errors';

/** The telemetry port is taken by another process (often a second instance on the same host). */
export class PortInUseError extends SensorfuseError {
  readonly retriable = false;
  constructor(host: string, port: number, cause: unknown) {
    super(
      `cannot serve /healthz, /readyz and /metrics on ${host}:${port}: the port is already in use ` +
        '(another instance running? choose another port, or 0 for any free one)',
      { cause, context: { host, port } },
    );
  }
}

/** Any other failure to start the telemetry server (permission denied, unknown host…). */
export class TelemetryServerError extends TransientError {
  constructor(host: string, port: number, cause: unknown) {
    super(`cannot start the telemetry server on ${host}:${port}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      context: { host, port },
    });
  }
}
