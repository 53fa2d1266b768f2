// The integration infrastructure itself: the broker the tests get is a real Apache Kafka 3.9 and the
// Redis answers. Checked over raw TCP with requests written by hand from the protocol specs, so the
// check does not depend on kafkajs or ioredis (which live behind shared/transport and shared/state).
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { InfraPortInUseError, freeLoopbackPort, startLocalRedis } from '@sensorfuse/infra';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers, redisUrl, startedInfra, uniqueName } from './support/infra.js';
import { exchange, redisCommand } from './support/raw.js';

function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/** Reads big-endian integers and Kafka's unsigned varints (lengths, tag counts) from a reply. */
class Cursor {
  constructor(
    private readonly buffer: Buffer,
    public at: number,
  ) {}

  int16(): number {
    const value = this.buffer.readInt16BE(this.at);
    this.at += 2;
    return value;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.buffer.readUInt8(this.at++);
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  /** A compact string: uvarint length + 1, then UTF-8 bytes. */
  compactString(): string {
    const length = this.uvarint() - 1;
    const value = this.buffer.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }
}

interface ApiVersionsV3 {
  errorCode: number;
  apis: Map<number, { min: number; max: number }>;
  finalizedFeatures: Map<string, { min: number; max: number }>;
}

/**
 * ApiVersions v3 (KIP-511), from the Kafka protocol guide: request header v2 (api_key 18, version 3,
 * correlation id, nullable client id, empty tag buffer), body = compact client software name and
 * version + empty tag buffer, all behind an int32 size. The response header is v0 (correlation id
 * only, a special case for ApiVersions), then error code, compact array of (key, min, max, tags),
 * throttle time, and a tag buffer where tag 2 holds the finalized features.
 */
async function apiVersions(address: string): Promise<ApiVersionsV3> {
  const clientId = Buffer.from('sensorfuse-infra-test');
  const software = Buffer.from('sensorfuse');
  const softwareVersion = Buffer.from('0.1.0');
  const body = Buffer.concat([
    Buffer.from([0x00, 0x12, 0x00, 0x03]), // api_key 18, api_version 3
    Buffer.from([0x00, 0x00, 0x00, 0x2a]), // correlation_id 42
    Buffer.from([0x00, clientId.length]),
    clientId,
    Buffer.from([0x00]), // header tags
    Buffer.from([software.length + 1]),
    software,
    Buffer.from([softwareVersion.length + 1]),
    softwareVersion,
    Buffer.from([0x00]), // body tags
  ]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  const { host, port } = hostPort(address);
  const reply = await exchange(host, port, Buffer.concat([size, body]), (got) => got.length >= 4 && got.length >= 4 + got.readInt32BE(0));

  expect(reply.readInt32BE(4)).toBe(42); // our correlation id came back
  const cursor = new Cursor(reply, 8);
  const errorCode = cursor.int16();
  const apis = new Map<number, { min: number; max: number }>();
  const apiCount = cursor.uvarint() - 1;
  for (let i = 0; i < apiCount; i++) {
    const key = cursor.int16();
    apis.set(key, { min: cursor.int16(), max: cursor.int16() });
    expect(cursor.uvarint()).toBe(0); // no tagged fields per entry
  }
  cursor.at += 4; // throttle_time_ms
  const finalizedFeatures = new Map<string, { min: number; max: number }>();
  const tagCount = cursor.uvarint();
  for (let t = 0; t < tagCount; t++) {
    const tag = cursor.uvarint();
    const tagSize = cursor.uvarint();
    const tagEnd = cursor.at + tagSize;
    if (tag === 2) {
      const entries = cursor.uvarint() - 1;
      for (let e = 0; e < entries; e++) {
        const name = cursor.compactString();
        const max = cursor.int16(); // MaxVersionLevel comes first in FinalizedFeatureKey
        const min = cursor.int16();
        finalizedFeatures.set(name, { min, max });
        cursor.uvarint(); // entry tags (none)
      }
    }
    cursor.at = tagEnd;
  }
  return { errorCode, apis, finalizedFeatures };
}

describe('integration infrastructure', () => {
  it('gives the tests a real Apache Kafka 3.9 broker speaking the Kafka protocol', async () => {
    const brokers = kafkaBrokers();
    expect(brokers.length).toBeGreaterThan(0);
    const reply = await apiVersions(brokers[0] ?? '');

    expect(reply.errorCode).toBe(0);
    // Produce (0), Fetch (1), InitProducerId (22, transactions) and ApiVersions (18) itself.
    for (const key of [0, 1, 18, 22]) expect(reply.apis.has(key)).toBe(true);
    // A KRaft cluster formatted by Kafka 3.9 finalizes metadata.version 3.9-IV0, which is feature
    // level 21 (MetadataVersion.IBP_3_9_IV0 in Kafka's server-common; 3.8-IV0 is 20, 4.0-IV0 is 22).
    expect(reply.finalizedFeatures.get('metadata.version')?.max).toBe(21);
  });

  it('serves the broker on the loopback interface when the setup started it', () => {
    const infra = startedInfra();
    if (infra.kafkaSource === 'environment') {
      console.warn(`skipped: broker given by KAFKA_BROKERS=${kafkaBrokers().join(',')}, not started by the setup`);
      return;
    }
    expect(infra.kafkaVersion).toMatch(/^3\.9\.\d+$/);
    for (const broker of kafkaBrokers()) expect(hostPort(broker).host).toBe('127.0.0.1');
    expect(process.env.KAFKA_BROKERS).toBe(kafkaBrokers().join(','));
  });

  it('gives the tests a Redis that stores and returns values', async () => {
    expect(await redisCommand(redisUrl(), 'PING')).toBe('+PONG\r\n');
    const key = uniqueName('infra-test');
    expect(await redisCommand(redisUrl(), 'SET', key, 'hello', 'PX', '60000')).toBe('+OK\r\n');
    expect(await redisCommand(redisUrl(), 'GET', key)).toBe('$5\r\nhello\r\n');
    expect(await redisCommand(redisUrl(), 'DEL', key)).toBe(':1\r\n');
    expect(process.env.REDIS_URL).toBe(redisUrl());
  });

  it('runs redis-server without persistence when the setup started it', async () => {
    if (startedInfra().redisSource === 'environment') {
      console.warn(`skipped: Redis given by REDIS_URL=${redisUrl()}, not started by the setup`);
      return;
    }
    const info = await redisCommand(redisUrl(), 'INFO', 'persistence');
    expect(info).toContain('aof_enabled:0');
    const save = await redisCommand(redisUrl(), 'CONFIG', 'GET', 'save');
    expect(save).toBe('*2\r\n$4\r\nsave\r\n$0\r\n\r\n');
    expect(new URL(redisUrl()).hostname).toBe('127.0.0.1');
  });

  it('starts a throw-away redis-server on a free port and removes its data dir on stop', async () => {
    const redis = await startLocalRedis();
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redisCommand(redis.url, 'PING')).toBe('+PONG\r\n');
      expect(existsSync(redis.dataDir)).toBe(true);
    } finally {
      await redis.stop();
    }
    expect(existsSync(redis.dataDir)).toBe(false);
    await expect(redisCommand(redis.url, 'PING')).rejects.toThrow(/ECONNREFUSED/);
    await redis.stop(); // a second stop is harmless
  });

  it('reports a taken port as InfraPortInUseError instead of starting a second server', async () => {
    const port = await freeLoopbackPort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      await expect(startLocalRedis({ port })).rejects.toBeInstanceOf(InfraPortInUseError);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
