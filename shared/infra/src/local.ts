import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraPortInUseError } from './errors.js';
import { freeLoopbackPorts } from './ports.js';
import { defaultScriptsDir, requireValue, runScript } from './script.js';

/** What happens to a started process when this Node process exits without calling stop(). */
export type OnProcessExit = 'kill' | 'leave';

interface CommonOptions {
  /** Config, pid file, logs and data. Default: a new directory under the OS temp dir. */
  readonly dataDir?: string;
  /** 'ephemeral' deletes dataDir on stop. Default: 'ephemeral' for the temp dir, 'persistent' for a given dir. */
  readonly dataLifetime?: 'ephemeral' | 'persistent';
  /** Default 'kill': a crashed test run must not leave brokers behind. `sensorfuse up` may choose 'leave'. */
  readonly onProcessExit?: OnProcessExit;
  /** Directory holding kafka.sh and redis.sh. Default: deploy/local of this repository. */
  readonly scriptsDir?: string;
  /** Receives the scripts' progress lines. Default: discarded. */
  readonly log?: (line: string) => void;
}

export interface LocalKafkaOptions extends CommonOptions {
  /** Broker port on 127.0.0.1. Default: a free port. */
  readonly port?: number;
  /** KRaft controller port on 127.0.0.1. Default: a free port. */
  readonly controllerPort?: number;
  /** Apache Kafka version to fetch and run. Default: kafka.sh's (3.9.1). */
  readonly kafkaVersion?: string;
  /** Extra environment for kafka.sh (KAFKA_HEAP_OPTS, KAFKA_START_TIMEOUT, KAFKA_CACHE_DIR…). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface LocalRedisOptions extends CommonOptions {
  /** Port on 127.0.0.1. Default: a free port. */
  readonly port?: number;
  /** Extra environment for redis.sh (REDIS_START_TIMEOUT…). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface LocalKafka {
  /** Bootstrap addresses, e.g. ['127.0.0.1:40123']. */
  readonly brokers: readonly string[];
  /** The version the running broker reports in its log. */
  readonly kafkaVersion: string;
  readonly pid: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Stops the broker (SIGTERM, SIGKILL after a grace period). Safe to call twice. */
  stop(): Promise<void>;
}

export interface LocalRedis {
  /** e.g. 'redis://127.0.0.1:40124'. */
  readonly url: string;
  /** The version the running server reports in its log. */
  readonly redisVersion: string;
  readonly pid: number;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

const PORT_ATTEMPTS = 3;

/** Processes to kill if this Node process exits while they still run. */
const exitGuards = new Map<number, { readonly dataDir: string; readonly ephemeral: boolean }>();
let exitHookInstalled = false;

function guardProcess(pid: number, dataDir: string, ephemeral: boolean): void {
  exitGuards.set(pid, { dataDir, ephemeral });
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a SIGKILL and a recursive delete are.
  process.once('exit', () => {
    for (const [guardedPid, guard] of exitGuards) {
      try {
        process.kill(guardedPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      if (guard.ephemeral) rmSync(guard.dataDir, { recursive: true, force: true });
    }
  });
}

interface Prepared {
  readonly dataDir: string;
  readonly ephemeral: boolean;
  readonly createdDir: boolean;
}

function prepareDataDir(prefix: string, options: CommonOptions): Prepared {
  const createdDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), prefix));
  const lifetime = options.dataLifetime ?? (createdDir ? 'ephemeral' : 'persistent');
  return { dataDir, ephemeral: lifetime === 'ephemeral', createdDir };
}

/** Retries with fresh ports when the ports were ours to choose and another process took one first. */
async function withPortRetry<T>(chosenByUs: boolean, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof InfraPortInUseError) || !chosenByUs || tries >= PORT_ATTEMPTS) throw error;
    }
  }
}

function stopOnce(run: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= run());
}

/**
 * Starts a single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1 with deploy/local/kafka.sh:
 * fetches the jars from Maven Central on first use, formats storage, waits until the broker serves.
 * By default on free ports with a temp data dir, so it never collides with a developer's broker.
 */
export async function startLocalKafka(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const script = join(options.scriptsDir ?? defaultScriptsDir, 'kafka.sh');
  const log = options.log ?? (() => undefined);
  const prepared = prepareDataDir('sensorfuse-kafka-', options);
  const chosenByUs = options.port === undefined || options.controllerPort === undefined;
  const baseEnv: Record<string, string> = {
    ...options.env,
    KAFKA_DATA_DIR: prepared.dataDir,
    KAFKA_EPHEMERAL: prepared.ephemeral ? '1' : '0',
    ...(options.kafkaVersion === undefined ? {} : { KAFKA_VERSION: options.kafkaVersion }),
  };
  try {
    return await withPortRetry(chosenByUs, async () => {
      const [freeA = 0, freeB = 0] = await freeLoopbackPorts(2);
      const port = options.port ?? freeA;
      const controllerPort = options.controllerPort ?? (freeB === port ? freeA : freeB);
      const env = { ...baseEnv, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort) };
      const result = await runScript(script, 'start', env, log);
      const pid = Number(requireValue(result, 'KAFKA_PID', script));
      if (options.onProcessExit !== 'leave') guardProcess(pid, prepared.dataDir, prepared.ephemeral);
      return {
        brokers: requireValue(result, 'KAFKA_BROKERS', script).split(','),
        kafkaVersion: requireValue(result, 'KAFKA_VERSION', script),
        pid,
        port,
        controllerPort,
        dataDir: prepared.dataDir,
        logFile: requireValue(result, 'KAFKA_LOG', script),
        stop: stopOnce(async () => {
          await runScript(script, 'stop', env, log);
          exitGuards.delete(pid);
        }),
      };
    });
  } catch (error) {
    if (prepared.createdDir) rmSync(prepared.dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Starts Debian's redis-server on 127.0.0.1 without persistence, with deploy/local/redis.sh. */
export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const script = join(options.scriptsDir ?? defaultScriptsDir, 'redis.sh');
  const log = options.log ?? (() => undefined);
  const prepared = prepareDataDir('sensorfuse-redis-', options);
  const baseEnv: Record<string, string> = {
    ...options.env,
    REDIS_DATA_DIR: prepared.dataDir,
    REDIS_EPHEMERAL: prepared.ephemeral ? '1' : '0',
  };
  try {
    return await withPortRetry(options.port === undefined, async () => {
      const [free = 0] = await freeLoopbackPorts(1);
      const port = options.port ?? free;
      const env = { ...baseEnv, REDIS_PORT: String(port) };
      const result = await runScript(script, 'start', env, log);
      const pid = Number(requireValue(result, 'REDIS_PID', script));
      if (options.onProcessExit !== 'leave') guardProcess(pid, prepared.dataDir, prepared.ephemeral);
      return {
        url: requireValue(result, 'REDIS_URL', script),
        redisVersion: requireValue(result, 'REDIS_VERSION', script),
        pid,
        port,
        dataDir: prepared.dataDir,
        logFile: requireValue(result, 'REDIS_LOG', script),
        stop: stopOnce(async () => {
          await runScript(script, 'stop', env, log);
          exitGuards.delete(pid);
        }),
      };
    });
  } catch (error) {
    if (prepared.createdDir) rmSync(prepared.dataDir, { recursive: true, force: true });
    throw error;
  }
}
