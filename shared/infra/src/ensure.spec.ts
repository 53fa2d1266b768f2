import { describe, expect, it } from 'vitest';
import { ensureInfra, parseBrokerList } from './ensure.js';

describe('parseBrokerList', () => {
  it('splits a comma-separated KAFKA_BROKERS value and trims the parts', () => {
    expect(parseBrokerList('127.0.0.1:9092, kafka-2:9092 ,kafka-3:9092')).toEqual([
      '127.0.0.1:9092',
      'kafka-2:9092',
      'kafka-3:9092',
    ]);
  });

  it('treats an unset, empty or blank value as "not given"', () => {
    expect(parseBrokerList(undefined)).toBeUndefined();
    expect(parseBrokerList('')).toBeUndefined();
    expect(parseBrokerList(' , ')).toBeUndefined();
  });
});

describe('ensureInfra', () => {
  it('uses KAFKA_BROKERS and REDIS_URL from the environment and starts nothing', async () => {
    const lines: string[] = [];
    const infra = await ensureInfra({
      env: { KAFKA_BROKERS: 'broker-a:9092,broker-b:9092', REDIS_URL: 'redis://cache:6380/2' },
      log: (line) => lines.push(line),
    });
    expect(infra.kafkaBrokers).toEqual(['broker-a:9092', 'broker-b:9092']);
    expect(infra.redisUrl).toBe('redis://cache:6380/2');
    expect(infra.kafka).toBeUndefined();
    expect(infra.redis).toBeUndefined();
    expect(lines).toEqual([]);
    await expect(infra.stop()).resolves.toBeUndefined();
  });
});
