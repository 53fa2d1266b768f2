import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { EXIT, UserError } from '../errors.js';
import { integer, withExamples } from '../options.js';

const SCRIPTS_DIR = fileURLToPath(new URL('../../../../deploy/local/', import.meta.url));

export interface LocalInfraOptions {
  readonly kafkaPort: number;
  readonly redisPort: number;
}

/** Runs one of deploy/local's idempotent scripts, streaming its lines to the terminal. */
function runScript(script: 'kafka.sh' | 'redis.sh', action: 'start' | 'stop' | 'status', env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`${SCRIPTS_DIR}${script}`, action], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve(code ?? 1);
    });
  });
}

function scriptFailure(script: string, code: number): UserError {
  // deploy/local's scripts exit 4 for a missing tool and 5 for a taken port.
  if (code === 4) return new UserError(`${script}: a required tool is missing`, EXIT.missingTool, 'see deploy/local/README.md');
  if (code === 5) return new UserError(`${script}: the port is in use`, EXIT.portInUse, 'set --kafka-port / --redis-port');
  return new UserError(`${script} failed with exit code ${code}`, EXIT.internal, 'see the log lines above');
}

/** `sensorfuse up`: a local Kafka broker and Redis on loopback, left running for deployed mode. */
export async function up(options: LocalInfraOptions): Promise<void> {
  const env = { KAFKA_PORT: String(options.kafkaPort), KAFKA_CONTROLLER_PORT: String(options.kafkaPort + 1), REDIS_PORT: String(options.redisPort) };
  const kafka = await runScript('kafka.sh', 'start', env);
  if (kafka !== 0) throw scriptFailure('kafka.sh', kafka);
  const redis = await runScript('redis.sh', 'start', env);
  if (redis !== 0) throw scriptFailure('redis.sh', redis);
  process.stdout.write(
    `\nReady. Run the pipeline over them with:\n  sensorfuse run --kafka 127.0.0.1:${options.kafkaPort} --redis redis://127.0.0.1:${options.redisPort}\n`,
  );
}

/** `sensorfuse down`: stops what `up` started. */
export async function down(options: LocalInfraOptions): Promise<void> {
  const env = { KAFKA_PORT: String(options.kafkaPort), KAFKA_CONTROLLER_PORT: String(options.kafkaPort + 1), REDIS_PORT: String(options.redisPort) };
  const kafka = await runScript('kafka.sh', 'stop', env);
  const redis = await runScript('redis.sh', 'stop', env);
  if (kafka !== 0) throw scriptFailure('kafka.sh', kafka);
  if (redis !== 0) throw scriptFailure('redis.sh', redis);
}

/** `sensorfuse up` and `sensorfuse down`. */
export function upCommands(): Command[] {
  const upCommand = new Command('up')
    .description('Start a local Kafka 3.9 broker (KRaft, fetched with Maven) and redis-server on loopback, without Docker; they keep running.')
    .option('--kafka-port <port>', 'broker port (the controller uses port+1)', integer('--kafka-port', 1024, 65_534), 9092)
    .option('--redis-port <port>', 'Redis port', integer('--redis-port', 1024, 65_535), 6379)
    .action(async (options: LocalInfraOptions) => {
      await up(options);
    });
  const downCommand = new Command('down')
    .description('Stop the Kafka broker and Redis that `sensorfuse up` started.')
    .option('--kafka-port <port>', 'broker port', integer('--kafka-port', 1024, 65_534), 9092)
    .option('--redis-port <port>', 'Redis port', integer('--redis-port', 1024, 65_535), 6379)
    .action(async (options: LocalInfraOptions) => {
      await down(options);
    });
  return [
    withExamples(upCommand, ['sensorfuse up', 'sensorfuse up --kafka-port 19092 --redis-port 16379'], 'Needs java and mvn for Kafka and redis-server (exit 4 names the missing tool). Stop them with `sensorfuse down`.'),
    withExamples(downCommand, ['sensorfuse down', 'sensorfuse down --kafka-port 19092 --redis-port 16379']),
  ];
}
