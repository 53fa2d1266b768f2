import {
  startLocalKafka,
  startLocalRedis,
  type LocalKafka,
  type LocalKafkaOptions,
  type LocalRedis,
  type LocalRedisOptions,
} from './local.js';

export interface EnsureInfraOptions {
  /** Where KAFKA_BROKERS and REDIS_URL are looked up. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly kafka?: LocalKafkaOptions;
  readonly redis?: LocalRedisOptions;
  /** Receives progress lines of both scripts. */
  readonly log?: (line: string) => void;
}

export interface Infra {
  readonly kafkaBrokers: readonly string[];
  readonly redisUrl: string;
  /** The broker this call started, or undefined when KAFKA_BROKERS was given. */
  readonly kafka: LocalKafka | undefined;
  /** The Redis this call started, or undefined when REDIS_URL was given. */
  readonly redis: LocalRedis | undefined;
  /** Stops what this call started (never an external broker). Safe to call twice. */
  stop(): Promise<void>;
}

/** `host:port,host:port` → ['host:port', 'host:port']; blank → undefined. */
export function parseBrokerList(value: string | undefined): string[] | undefined {
  const brokers = (value ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  return brokers.length > 0 ? brokers : undefined;
}

/**
 * Kafka and Redis for tests and `sensorfuse up`: the ones named by KAFKA_BROKERS / REDIS_URL when
 * set, otherwise a local broker and server started here (in parallel) on free loopback ports.
 */
export async function ensureInfra(options: EnsureInfraOptions = {}): Promise<Infra> {
  const env = options.env ?? process.env;
  const log = options.log;
  const givenBrokers = parseBrokerList(env.KAFKA_BROKERS);
  const givenRedis = env.REDIS_URL?.trim() === '' ? undefined : env.REDIS_URL?.trim();

  const [kafkaResult, redisResult] = await Promise.allSettled([
    givenBrokers === undefined ? startLocalKafka({ ...(log && { log }), ...options.kafka }) : undefined,
    givenRedis === undefined ? startLocalRedis({ ...(log && { log }), ...options.redis }) : undefined,
  ]);
  const kafka = kafkaResult.status === 'fulfilled' ? kafkaResult.value : undefined;
  const redis = redisResult.status === 'fulfilled' ? redisResult.value : undefined;
  if (kafkaResult.status === 'rejected' || redisResult.status === 'rejected') {
    // Do not leave the half that started running.
    await Promise.allSettled([kafka?.stop(), redis?.stop()]);
    throw kafkaResult.status === 'rejected' ? kafkaResult.reason : (redisResult as PromiseRejectedResult).reason;
  }

  let stopping: Promise<void> | undefined;
  return {
    kafkaBrokers: givenBrokers ?? kafka?.brokers ?? [],
    redisUrl: givenRedis ?? redis?.url ?? '',
    kafka,
    redis,
    stop: () =>
      (stopping ??= Promise.all([kafka?.stop(), redis?.stop()]).then(() => undefined)),
  };
}
