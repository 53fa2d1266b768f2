import { Command, InvalidArgumentError, Option } from 'commander';
import { createTopics } from './commands/topics.js';
import { down, up } from './commands/up.js';
import { runEmbedded } from './commands/run.js';
import { EXIT, UserError } from './errors.js';

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], found "${value}"`);
    }
    return n;
  };
}

function brokerList(value: string): string[] {
  const brokers = value.split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (brokers.length === 0) throw new InvalidArgumentError('expected host:port[,host:port…]');
  return brokers;
}

/** The `sensorfuse` command line. Every command has --help with examples. */
export function buildProgram(): Command {
  const program = new Command('sensorfuse')
    .description('Streaming sensor fusion: camera, LIDAR, audio and motion aligned in event time and fused into tracked 3D detections.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  program
    .command('run', { isDefault: true })
    .description('Run the whole pipeline. Embedded (one process, in-memory bus) unless --kafka is given.')
    .option('--scenario <name>', 'simulator scenario used as the source', 'urban-day')
    .option('--seed <n>', 'simulator seed', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--duration <s>', 'stop after this many seconds of simulated time (default: until Ctrl-C)', integer('--duration', 1, 86_400))
    .addOption(new Option('--kafka <brokers>', 'run over Kafka instead of the in-memory bus').argParser(brokerList))
    .option('--redis <url>', 'Redis for state in deployed mode')
    .option('--port <port>', 'dashboard port on 127.0.0.1 (0 picks a free one)', integer('--port', 0, 65_535), 8080)
    .addHelpText('after', '\nExamples:\n  $ sensorfuse run\n  $ sensorfuse run --scenario night-rain --duration 30\n  $ sensorfuse run --kafka 127.0.0.1:9092 --redis redis://127.0.0.1:6379')
    .action(async (options: { scenario: string; seed: number; duration?: number; kafka?: string[]; redis?: string; port: number }) => {
      await runEmbedded(options);
    });

  program
    .command('up')
    .description('Start a local Kafka 3.9 broker (KRaft, fetched with Maven) and redis-server on loopback, without Docker.')
    .option('--kafka-port <port>', 'broker port (the controller uses port+1)', integer('--kafka-port', 1024, 65_534), 9092)
    .option('--redis-port <port>', 'Redis port', integer('--redis-port', 1024, 65_535), 6379)
    .addHelpText('after', '\nExamples:\n  $ sensorfuse up\n  $ sensorfuse up --kafka-port 19092 --redis-port 16379')
    .action(async (options: { kafkaPort: number; redisPort: number }) => {
      await up(options);
    });

  program
    .command('down')
    .description('Stop the Kafka broker and Redis that `sensorfuse up` started.')
    .option('--kafka-port <port>', 'broker port', integer('--kafka-port', 1024, 65_534), 9092)
    .option('--redis-port <port>', 'Redis port', integer('--redis-port', 1024, 65_535), 6379)
    .action(async (options: { kafkaPort: number; redisPort: number }) => {
      await down(options);
    });

  const topics = program.command('topics').description('Manage the pipeline topics on a Kafka cluster.');
  topics
    .command('create')
    .description('Create every pipeline topic and its .dlq, co-partitioned, accepting records up to 16 MiB.')
    .requiredOption('--kafka <brokers>', 'bootstrap brokers, host:port[,host:port…]', brokerList)
    .option('--partitions <n>', 'partitions per topic (the same for all: co-partitioned by rig)', integer('--partitions', 1, 1024), 4)
    .addHelpText('after', '\nExamples:\n  $ sensorfuse topics create --kafka 127.0.0.1:9092 --partitions 8')
    .action(async (options: { kafka: string[]; partitions: number }) => {
      const created = await createTopics({ brokers: options.kafka, partitions: options.partitions });
      process.stdout.write(`created or verified ${created.length} topics (+ .dlq each) with ${options.partitions} partitions\n`);
    });

  return program;
}

export { EXIT, UserError };
