import { Command } from 'commander';
import { brokersOf } from '../config.js';
import { EXIT, UserError } from '../errors.js';
import { brokerText, integer, settingsOf, shared, withExamples } from '../options.js';
import { KafkaBus } from '@sensorfuse/transport';
import { PIPELINE_MAX_MESSAGE_BYTES, pipelineTopics } from '../topology.js';

export interface CreateTopicsOptions {
  readonly brokers: readonly string[];
  readonly partitions: number;
  readonly maxMessageBytes?: number;
}

/** `sensorfuse topics create`: every pipeline topic and its DLQ, co-partitioned, with the size limit. */
export async function createTopics(options: CreateTopicsOptions): Promise<string[]> {
  const bus = new KafkaBus({ brokers: options.brokers, clientId: 'sensorfuse-cli', connectionTimeoutMs: 5_000, retry: { retries: 2 }, logLevel: 'nothing' });
  try {
    const topics = pipelineTopics();
    await bus.admin.createTopics(
      topics.map((topic) => ({
        topic,
        partitions: options.partitions,
        maxMessageBytes: options.maxMessageBytes ?? PIPELINE_MAX_MESSAGE_BYTES,
      })),
    );
    return topics;
  } finally {
    await bus.close();
  }
}

/** `sensorfuse topics create`. */
export function topicsCommand(): Command {
  const topics = new Command('topics').description('Manage the pipeline topics on a Kafka cluster.');
  const create = new Command('create')
    .description('Create every pipeline topic and its .dlq, co-partitioned, accepting records up to 16 MiB.')
    .option('--kafka <brokers>', shared('kafka', 'bootstrap brokers (required here)'), brokerText)
    .option('--partitions <n>', shared('partitions', 'partitions per topic (the same for all: co-partitioned by rig)'), integer('--partitions', 1, 1024))
    .action(async (_options: unknown, cmd: Command) => {
      const s = settingsOf(cmd);
      const brokers = brokersOf(s.kafka);
      if (brokers === undefined) throw new UserError('topics create needs a Kafka cluster', EXIT.usage, 'pass --kafka host:port (or set SENSORFUSE_KAFKA)');
      const created = await createTopics({ brokers, partitions: s.partitions });
      process.stdout.write(`created or verified ${String(created.length)} topics (+ .dlq each) with ${String(s.partitions)} partitions\n`);
    });
  topics.addCommand(withExamples(create, ['sensorfuse topics create --kafka 127.0.0.1:9092 --partitions 8', 'SENSORFUSE_KAFKA=kafka:19092 sensorfuse topics create']));
  return topics;
}
