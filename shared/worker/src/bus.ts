import { KafkaBus, MemoryBus, type Bus, type TransportLogger } from '@sensorfuse/transport';
import { z } from 'zod';

/**
 * The transport part of every worker's config schema: embed it as `bus: busConfigSchema`.
 * `memory` is for a service started alone in tests or demos; embedded mode passes its shared
 * MemoryBus to the service's factory instead of going through config.
 */
export const busConfigSchema = z.strictObject({
  kind: z.enum(['kafka', 'memory']).default('kafka').describe('Transport: Apache Kafka (deployed) or an in-process bus'),
  brokers: z
    .array(z.string().min(1).max(255))
    .min(1)
    .max(64)
    .default(['127.0.0.1:9092'])
    .describe('Kafka bootstrap servers host:port (JSON array in the environment)'),
  clientId: z.string().min(1).max(255).default('sensorfuse').describe('Kafka client id (shows in broker logs and quotas)'),
  logLevel: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('warn').describe('Lowest kafkajs log level passed to the service log'),
  partitions: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(0)
    .describe('Create missing input/output topics (and their .dlq) with this many partitions at start; 0 = expect them to exist'),
});

export type BusConfig = z.output<typeof busConfigSchema>;

/**
 * Least time between two OffsetCommit requests of a worker's subscription. A worker does not wait
 * for its commits (it publishes the next batch while they are in flight), so merging them over
 * 100 ms costs no throughput and sends 10 commit requests per second instead of up to 50 (the
 * transport default of 20 ms suits callers that await each commit). After a crash, up to this
 * much more input is redelivered (at-least-once; downstream drops duplicates by sensorId + seq).
 */
export const WORKER_COMMIT_INTERVAL_MS = 100;

/** A bus from config: KafkaBus (lazy: it connects on first use) or a fresh MemoryBus. */
export function createBus(config: Readonly<Omit<BusConfig, 'brokers'>> & { readonly brokers: readonly string[] }, logger?: TransportLogger): Bus {
  if (config.kind === 'memory') return new MemoryBus();
  return new KafkaBus({
    brokers: config.brokers,
    clientId: config.clientId,
    logLevel: config.logLevel,
    commitIntervalMs: WORKER_COMMIT_INTERVAL_MS,
    ...(logger === undefined ? {} : { logger }),
  });
}

/**
 * Creates each topic that does not exist yet with `partitions` partitions (plus its `.dlq`). An
 * existing topic is left alone whatever its partition count (co-partitioning is checked where it
 * matters, in the fusion worker). `partitions` 0 does nothing.
 */
export async function ensureTopics(bus: Bus, topics: readonly string[], partitions: number): Promise<void> {
  if (partitions <= 0) return;
  const missing: string[] = [];
  for (const topic of topics) if ((await bus.admin.partitionCount(topic)) === undefined) missing.push(topic);
  if (missing.length > 0) await bus.admin.createTopics(missing.map((topic) => ({ topic, partitions })));
}
