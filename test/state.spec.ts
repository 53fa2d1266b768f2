// RedisStateStore against the real redis-server of the integration setup: the same conformance
// suite as MemoryStateStore, plus what only a networked store can get wrong.
import { freeLoopbackPort } from '@sensorfuse/infra';
import { RedisStateStore, StateUnavailableError } from '@sensorfuse/state';
import { describeStateStoreConformance } from '@sensorfuse/state/testing';
import { isRetriable } from '@sensorfuse/errors';
import { describe, expect, it } from 'vitest';
import { redisUrl, uniqueName } from './support/infra.js';
import { redisCommand } from './support/raw.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

// A fresh key prefix per test: tests never see each other's keys, even on a shared Redis.
describeStateStoreConformance('RedisStateStore', {
  create: () => RedisStateStore.connect(redisUrl(), { keyPrefix: `${uniqueName('state-test')}:` }),
});

describe('RedisStateStore on a real redis-server', () => {
  it('restores a checkpoint written by an instance that has since gone away', async () => {
    const keyPrefix = `${uniqueName('state-restart')}:`;
    const first = await RedisStateStore.connect(redisUrl(), { keyPrefix });
    await first.compareAndSet('tracker/rig-1', 0, text('tracks@frame-41'));
    await first.compareAndSet('tracker/rig-1', 1, text('tracks@frame-42'));
    await first.appendVersion('calibration/rig-1', 1_780_000_000_000_000, text('extrinsics-v1'));
    await first.close();

    const second = await RedisStateStore.connect(redisUrl(), { keyPrefix });
    try {
      expect(await second.getVersioned('tracker/rig-1')).toEqual({ value: text('tracks@frame-42'), version: 2 });
      expect(await second.compareAndSet('tracker/rig-1', 2, text('tracks@frame-43'))).toEqual({
        outcome: 'written',
        version: 3,
      });
      expect((await second.versionAt('calibration/rig-1', 1_780_000_000_000_000))?.value).toEqual(
        text('extrinsics-v1'),
      );
    } finally {
      await second.close();
    }
  });

  it('keeps stores with different key prefixes apart on one Redis', async () => {
    const a = await RedisStateStore.connect(redisUrl(), { keyPrefix: `${uniqueName('state-a')}:` });
    const b = await RedisStateStore.connect(redisUrl(), { keyPrefix: `${uniqueName('state-b')}:` });
    try {
      await a.set('shared-name', text('from a'));
      expect(await b.get('shared-name')).toBeUndefined();
      expect(await b.compareAndSet('shared-name', 0, text('from b'))).toEqual({ outcome: 'written', version: 1 });
      expect(await a.get('shared-name')).toEqual(text('from a'));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('still runs its scripts after Redis forgot them (SCRIPT FLUSH, as after a restart)', async () => {
    const store = await RedisStateStore.connect(redisUrl(), { keyPrefix: `${uniqueName('state-flush')}:` });
    try {
      await store.compareAndSet('cp', 0, text('one'));
      expect(await redisCommand(redisUrl(), 'SCRIPT', 'FLUSH')).toBe('+OK\r\n');
      expect(await store.compareAndSet('cp', 1, text('two'))).toEqual({ outcome: 'written', version: 2 });
    } finally {
      await store.close();
    }
  });

  it('fails to connect to a port nobody listens on with a retriable StateUnavailableError', async () => {
    const port = await freeLoopbackPort();
    const error: unknown = await RedisStateStore.connect(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 2000 }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(StateUnavailableError);
    expect(isRetriable(error)).toBe(true);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });
});
