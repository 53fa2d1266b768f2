export { buildProgram } from './program.js';
export { renderCliReference } from './cli-reference.js';
export { cliConfigSchema, loadCliConfig, CLI_ENV_PREFIX } from './config.js';
export type { CliConfig } from './config.js';
export { EXIT, UserError } from './errors.js';
export { SERVICES, SERVICE_NAMES, serviceEnv } from './commands/worker.js';
export type { ServiceName } from './commands/worker.js';
