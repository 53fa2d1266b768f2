import { randomBytes } from 'node:crypto';
import { KafkaBus, RecordTooLargeError } from '@sensorfuse/transport';
import { describeBusConformance } from '@sensorfuse/transport/testing';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from './support/infra.js';

// The same conformance suite as MemoryBus, over a real Kafka broker.
describeBusConformance('KafkaBus', () => new KafkaBus({ brokers: kafkaBrokers(), clientId: uniqueName('conformance'), logLevel: 'error' }));

describe('KafkaBus against the broker', () => {
  it("maps the broker's MESSAGE_TOO_LARGE to RecordTooLargeError when the bus did not create the topic", async () => {
    const topic = uniqueName('kafka-oversize');
    const creator = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'nothing' });
    const stranger = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'nothing' });
    try {
      await creator.admin.createTopics([{ topic, partitions: 1, maxMessageBytes: 512 * 1024 }]);
      // `stranger` does not know the topic's limit, so the broker itself has to refuse the record.
      const error: unknown = await stranger.publish(topic, [{ key: 'rig-1', value: randomBytes(768 * 1024) }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RecordTooLargeError);
    } finally {
      await Promise.all([creator.close(), stranger.close()]);
    }
  });
});
