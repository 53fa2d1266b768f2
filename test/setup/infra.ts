// globalSetup of the `integration` project: gives every integration test a real Kafka broker and a
// real Redis. KAFKA_BROKERS / REDIS_URL are used when set; otherwise this starts Apache Kafka 3.9
// (deploy/local/kafka.sh) and redis-server (deploy/local/redis.sh) on free loopback ports with temp
// data dirs, and stops them in the teardown.
import { ensureInfra } from '@sensorfuse/infra';
import type { TestProject } from 'vitest/node';
import type { StartedInfra } from '../support/infra.js';

const say = (line: string): void => {
  console.log(`[integration infra] ${line}`);
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = performance.now();
  const infra = await ensureInfra({ log: say });
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);

  if (infra.kafka) {
    say(
      `started Apache Kafka ${infra.kafka.kafkaVersion} (KRaft broker+controller, pid ${infra.kafka.pid}) ` +
        `on ${infra.kafka.brokers.join(',')}, controller port ${infra.kafka.controllerPort}, log ${infra.kafka.logFile}`,
    );
  } else {
    say(`using the Kafka broker from KAFKA_BROKERS=${infra.kafkaBrokers.join(',')}`);
  }
  if (infra.redis) {
    say(`started redis-server ${infra.redis.redisVersion} (pid ${infra.redis.pid}) on ${infra.redis.url}, log ${infra.redis.logFile}`);
  } else {
    say(`using the Redis from REDIS_URL=${infra.redisUrl}`);
  }
  say(`infrastructure ready in ${seconds}s`);

  const started: StartedInfra = {
    kafkaSource: infra.kafka ? 'local' : 'environment',
    redisSource: infra.redis ? 'local' : 'environment',
    kafkaVersion: infra.kafka?.kafkaVersion,
    redisVersion: infra.redis?.redisVersion,
  };
  project.provide('kafkaBrokers', [...infra.kafkaBrokers]);
  project.provide('redisUrl', infra.redisUrl);
  project.provide('startedInfra', started);
  // Also for code that reads the environment (services' config loaders) in the test workers.
  process.env.KAFKA_BROKERS = infra.kafkaBrokers.join(',');
  process.env.REDIS_URL = infra.redisUrl;

  return async () => {
    if (!infra.kafka && !infra.redis) return;
    const stoppingAt = performance.now();
    await infra.stop();
    say(`stopped what this run started in ${((performance.now() - stoppingAt) / 1000).toFixed(1)}s`);
  };
}
