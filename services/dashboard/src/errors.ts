import { PoisonRecordError, SensorfuseError, type ErrorContext } from '@sensorfuse/errors';

/** The dashboard could not listen: the port is taken by another process. Not retriable as is. */
export class PortInUseError extends SensorfuseError {
  readonly retriable = false;
  constructor(
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    super(`dashboard: port ${port} on ${host} is already in use (choose another port, or stop the process that holds it)`, { cause, context: { host, port } });
  }
}

/** Listening failed for another reason (address not available, permission denied…). */
export class DashboardListenError extends SensorfuseError {
  readonly retriable = false;
  constructor(message: string, cause: unknown, context: ErrorContext) {
    super(message, { cause, context });
  }
}

/** A LIDAR scan whose point layout the dashboard cannot read (it is only shown, never dead-lettered). */
export class UnreadableScanError extends PoisonRecordError {
  constructor(message: string, context: ErrorContext) {
    super(message, { context });
  }
}
