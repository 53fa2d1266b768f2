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
