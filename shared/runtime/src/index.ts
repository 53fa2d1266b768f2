export { runService } from './run-service.js';
export type { RunServiceOptions, ServiceContext, ServiceOutcome, ServiceState, ShutdownReason, StateChange } from './run-service.js';
export {
  ShutdownTimeoutError,
  ShutdownInterruptedError,
  ServiceStartError,
  ServiceFatalError,
  ServiceDrainError,
} from './errors.js';
