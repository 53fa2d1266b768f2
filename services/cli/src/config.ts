import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, type LoadedConfig } from '@sensorfuse/config';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EXIT, UserError } from './errors.js';

/** Prefix of the command line's own environment variables: `SENSORFUSE_PORT`, `SENSORFUSE_KAFKA`… */
export const CLI_ENV_PREFIX = 'SENSORFUSE_';

/**
 * Prefixes that belong to the services (each reads its own `SENSORFUSE_<SERVICE>_*` variables): the
 * command line leaves them alone instead of calling them typos of its own keys.
 */
export const SERVICE_ENV_PREFIXES: readonly string[] = [
  'SENSORFUSE_AUDIO_', 'SENSORFUSE_CAMERA_', 'SENSORFUSE_DASHBOARD_', 'SENSORFUSE_FUSION_', 'SENSORFUSE_LIDAR_',
  'SENSORFUSE_MOTION_', 'SENSORFUSE_SENSOR_', 'SENSORFUSE_RECORDER_', 'SENSORFUSE_SIMULATOR_', 'SENSORFUSE_LOG_LEVEL',
];

/**
 * The settings the commands share. Each key is also the name of a flag (`--port`) and of an
 * environment variable (`SENSORFUSE_PORT`). The defaults live here only.
 */
export const cliConfigSchema = z.strictObject({
  scenario: z.string().min(1).max(256).default('urban-day').describe('Simulator scenario (a preset name) used as the source'),
  seed: z.number().int().min(0).max(2_147_483_647).default(1).describe('Simulator seed'),
  duration: z.number().int().min(0).max(86_400).default(0).describe('Seconds of simulated time to run; 0 = until Ctrl-C (run) or the scenario length (simulate)'),
  port: z.number().int().min(0).max(65_535).default(8080).describe('Dashboard port on 127.0.0.1; 0 picks a free one'),
  kafka: z.string().min(0).max(4096).default('').describe('Kafka bootstrap brokers host:port[,host:port…]; empty = the in-memory bus'),
  redis: z.string().min(0).max(4096).default('').describe('Redis URL (redis://host:port) for state; empty = in-memory state'),
  partitions: z.number().int().min(1).max(1024).default(4).describe('Partitions per topic when topics are created'),
});

export type CliConfig = LoadedConfig<typeof cliConfigSchema>;
export type CliKey = keyof z.output<typeof cliConfigSchema>;
export const CLI_KEYS = Object.keys(cliConfigSchema.shape) as CliKey[];

/** The schema's defaults (for help texts): they are defined once, in the schema. */
export const CLI_DEFAULTS: Readonly<z.output<typeof cliConfigSchema>> = Object.freeze(cliConfigSchema.parse({}));

export interface LoadCliConfigOptions {
  /** `--config <path>` (YAML or JSON); else `SENSORFUSE_CONFIG_FILE`; else no file. */
  readonly file?: string;
  /** Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values the user typed as flags: they win over everything. */
  readonly flags?: Partial<Record<CliKey, string | number>>;
}

function isYaml(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

/** A YAML file as the JSON text the config loader reads (YAML is a superset of JSON). */
function yamlAsJson(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new UserError(`cannot read config file ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, EXIT.badConfig, 'check the path given to --config', { cause });
  }
  try {
    return JSON.stringify(parseYaml(text) ?? {});
  } catch (cause) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0] ?? '';
    throw new UserError(`config file ${file} is not valid YAML: ${reason}`, EXIT.badConfig, 'fix the file; keys are listed in docs/cli.md', { cause });
  }
}

/**
 * The command line's settings, with one precedence: schema defaults < config file (YAML or JSON)
 * < environment (`SENSORFUSE_<KEY>`) < flags. A key the schema does not know, in the file or as a
 * `SENSORFUSE_*` variable, is a ConfigError (exit 3) naming the key and where it came from.
 */
export function loadCliConfig(options: LoadCliConfigOptions = {}): CliConfig {
  const sourceEnv = options.env ?? process.env;
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(sourceEnv)) {
    if (!name.startsWith(CLI_ENV_PREFIX) || SERVICE_ENV_PREFIXES.some((p) => name.startsWith(p))) continue;
    if (name === `${CLI_ENV_PREFIX}CONFIG_FILE`) continue;
    env[name] = value;
  }
  const file = options.file ?? sourceEnv[`${CLI_ENV_PREFIX}CONFIG_FILE`];
  let configFile = file;
  let tempDir: string | undefined;
  if (file !== undefined && isYaml(file)) {
    const json = yamlAsJson(file);
    tempDir = mkdtempSync(path.join(tmpdir(), 'sensorfuse-config-'));
    configFile = path.join(tempDir, 'config.json');
    writeFileSync(configFile, json);
  }
  let loaded: CliConfig;
  try {
    loaded = loadConfig(cliConfigSchema, { envPrefix: CLI_ENV_PREFIX, env, ...(configFile === undefined ? {} : { file: configFile }) });
  } catch (error) {
    // Messages about the converted YAML name the user's file, not the temporary JSON.
    if (error instanceof ConfigError && configFile !== undefined && file !== undefined && configFile !== file) {
      throw new UserError(error.message.split(configFile).join(file), EXIT.badConfig, configHint, { cause: error });
    }
    if (error instanceof ConfigError) throw new UserError(error.message, EXIT.badConfig, configHint, { cause: error });
    throw error;
  } finally {
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  }
  const flags = options.flags ?? {};
  const merged = { ...loaded } as Record<CliKey, string | number>;
  for (const key of CLI_KEYS) {
    const value = flags[key];
    if (value !== undefined) merged[key] = value;
  }
  return Object.freeze(merged) as CliConfig;
}

const configHint = 'keys, environment variables and defaults are listed under "Configuration" in docs/cli.md';

/** `host:port[,host:port…]` → broker list (empty → undefined: the in-memory bus). */
export function brokersOf(kafka: string): string[] | undefined {
  const brokers = kafka.split(',').map((b) => b.trim()).filter((b) => b !== '');
  return brokers.length === 0 ? undefined : brokers;
}
