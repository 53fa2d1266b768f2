import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** What test/setup/infra.ts started, for tests that check the infrastructure itself. */
export interface StartedInfra {
  /** 'environment' when KAFKA_BROKERS / REDIS_URL were given, 'local' when the setup started it. */
  readonly kafkaSource: 'environment' | 'local';
  readonly redisSource: 'environment' | 'local';
  /** Version the locally started broker/server reports in its own log; undefined for external ones. */
  readonly kafkaVersion: string | undefined;
  readonly redisVersion: string | undefined;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    redisUrl: string;
    startedInfra: StartedInfra;
  }
}

/** Bootstrap addresses of the test broker (a real Kafka, started by the setup or given by KAFKA_BROKERS). */
export function kafkaBrokers(): string[] {
  return inject('kafkaBrokers');
}

/** URL of the test Redis (started by the setup or given by REDIS_URL). */
export function redisUrl(): string {
  return inject('redisUrl');
}

export function startedInfra(): StartedInfra {
  return inject('startedInfra');
}

/**
 * A fresh name per call for topics, groups and keys, so tests never see each other's records even on
 * a shared broker: `<prefix>-<12 hex chars>`. Kafka topic names allow [a-zA-Z0-9._-].
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
