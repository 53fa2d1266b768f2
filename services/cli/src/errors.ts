import { SensorfuseError, errorMessage } from '@sensorfuse/errors';

/**
 * Exit codes, one per kind of user error, so scripts can tell them apart. Internal errors exit 1
 * with a stack trace; user errors print one line with a hint and no stack.
 */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  badConfig: 3,
  missingTool: 4,
  kafkaUnreachable: 5,
  redisUnreachable: 6,
  portInUse: 7,
  modelMissing: 8,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the user can fix: printed as one line plus a hint, with a distinct exit code. */
export class UserError extends SensorfuseError {
  readonly retriable = false;
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** Maps known library errors onto user errors; anything else stays an internal error. */
export function toUserError(error: unknown): UserError | undefined {
  if (error instanceof UserError) return error;
  if (!(error instanceof Error)) return undefined;
  switch (error.name) {
    case 'ConfigError':
      return new UserError(error.message, EXIT.badConfig, 'check the key against `sensorfuse <command> --help`', { cause: error });
    case 'InfraToolMissingError':
      return new UserError(error.message, EXIT.missingTool, 'install it (see deploy/local/README.md)', { cause: error });
    case 'InfraPortInUseError':
    case 'PortInUseError':
      return new UserError(error.message, EXIT.portInUse, 'choose another port with --port or stop the other process', { cause: error });
    case 'BrokerUnavailableError':
      return new UserError(errorMessage(error), EXIT.kafkaUnreachable, 'is Kafka running? `sensorfuse up` starts a local one', { cause: error });
    case 'ModelNotFoundError':
      return new UserError(errorMessage(error), EXIT.modelMissing, 'check the service\'s model path setting (e.g. SENSORFUSE_CAMERA_MODEL_PATH); shipped models live in models/', { cause: error });
    case 'RecordingIoError':
    case 'RecordingFormatError':
    case 'DatasetFormatError':
    case 'RecorderUsageError':
      return new UserError(errorMessage(error), EXIT.usage, 'check the file or folder given on the command line (a recording cut short: `sensorfuse recover <file>`)', { cause: error });
    case 'InvalidScenarioError':
      return new UserError(errorMessage(error), EXIT.usage, 'preset scenarios: urban-day, night-rain, sensor-dropout, crowded, highway', { cause: error });
    case 'StateUnavailableError':
    case 'StateConnectionError':
      return new UserError(errorMessage(error), EXIT.redisUnreachable, 'is Redis running? `sensorfuse up` starts a local one', { cause: error });
    default:
      return undefined;
  }
}
