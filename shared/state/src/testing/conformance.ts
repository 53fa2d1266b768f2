import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { StateArgumentError, StateClosedError, StateKeyTypeError } from '../errors.js';
import type { StateStore } from '../types.js';

export interface StateStoreConformanceOptions {
  /**
   * A new, empty store per test (e.g. a RedisStateStore with a fresh key prefix). The suite closes it.
   */
  readonly create: () => Promise<StateStore>;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const sha256 = (value: Uint8Array): string => createHash('sha256').update(value).digest('hex');
const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** An event time in 2026 in µs since the epoch: beyond 2^32 and 2^50, still exact in a double. */
const T0_US = 1_780_000_000_000_000;

/**
 * The behaviour every StateStore must have, as a vitest suite: run it once per implementation
 * (MemoryStateStore in a unit spec, RedisStateStore against a real redis-server in test/).
 */
export function describeStateStoreConformance(name: string, options: StateStoreConformanceOptions): void {
  describe(`StateStore conformance: ${name}`, () => {
    const opened: StateStore[] = [];
    const open = async (): Promise<StateStore> => {
      const store = await options.create();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    describe('plain bytes', () => {
      it('returns undefined for a key never written', async () => {
        const store = await open();
        expect(await store.get('never-written')).toBeUndefined();
      });

      it('returns exactly the bytes written, including zeros, 0xff and non-UTF-8 sequences', async () => {
        const store = await open();
        const value = bytes(0, 255, 0xc3, 0x28, 0, 1, 0x80, 0xfe);
        await store.set('binary', value);
        expect(await store.get('binary')).toEqual(value);
      });

      it('stores an empty value as empty, not as absent', async () => {
        const store = await open();
        await store.set('empty', new Uint8Array(0));
        expect(await store.get('empty')).toEqual(new Uint8Array(0));
      });

      it('round-trips a 4 MiB value (a tracker checkpoint of a busy scene)', async () => {
        const store = await open();
        const value = new Uint8Array(4 * 1024 * 1024);
        for (let i = 0; i < value.length; i++) value[i] = (i * 2654435761) >>> 24;
        await store.set('large', value);
        const read = await store.get('large');
        expect(read?.length).toBe(value.length);
        // Deep equality over 4 Mi elements is slow in vitest; compare digests instead.
        expect(sha256(read ?? new Uint8Array(0))).toBe(sha256(value));
      });

      it('reads the bytes as they were when written, even if the caller reuses its buffer', async () => {
        const store = await open();
        const buffer = text('first');
        await store.set('reused', buffer);
        buffer.set(text('XXXXX'));
        expect(await store.get('reused')).toEqual(text('first'));
      });

      it('stores a view of a larger buffer as just the viewed bytes', async () => {
        const store = await open();
        const backing = bytes(9, 9, 1, 2, 3, 9, 9);
        await store.set('view', backing.subarray(2, 5));
        expect(await store.get('view')).toEqual(bytes(1, 2, 3));
      });

      it('replaces the value on a second set', async () => {
        const store = await open();
        await store.set('k', text('one'));
        await store.set('k', text('two'));
        expect(await store.get('k')).toEqual(text('two'));
      });

      it('keeps different keys apart', async () => {
        const store = await open();
        await store.set('a', text('A'));
        await store.set('b', text('B'));
        expect(await store.get('a')).toEqual(text('A'));
        expect(await store.get('b')).toEqual(text('B'));
      });

      it('deletes a key and says whether there was one', async () => {
        const store = await open();
        await store.set('gone', text('x'));
        expect(await store.delete('gone')).toBe(true);
        expect(await store.get('gone')).toBeUndefined();
        expect(await store.delete('gone')).toBe(false);
      });

      it('forgets a value after its TTL and keeps it before', async () => {
        const store = await open();
        await store.set('short', text('x'), { ttlMs: 200 });
        await store.set('long', text('y'), { ttlMs: 60_000 });
        expect(await store.get('short')).toEqual(text('x'));
        await sleep(450);
        expect(await store.get('short')).toBeUndefined();
        expect(await store.get('long')).toEqual(text('y'));
      });

      it('drops the TTL when the key is set again without one', async () => {
        const store = await open();
        await store.set('k', text('x'), { ttlMs: 200 });
        await store.set('k', text('y'));
        await sleep(450);
        expect(await store.get('k')).toEqual(text('y'));
      });

      it('rejects an empty key and a TTL that is not a positive integer, writing nothing', async () => {
        const store = await open();
        await expect(store.set('', text('x'))).rejects.toBeInstanceOf(StateArgumentError);
        await expect(store.set('k', text('x'), { ttlMs: 0 })).rejects.toBeInstanceOf(StateArgumentError);
        await expect(store.set('k', text('x'), { ttlMs: 1.5 })).rejects.toBeInstanceOf(StateArgumentError);
        expect(await store.get('k')).toBeUndefined();
      });
    });

    describe('setMany', () => {
      it('writes every entry, each with its own TTL', async () => {
        const store = await open();
        await store.setMany([
          { key: 'm1', value: text('one') },
          { key: 'm2', value: text('two'), ttlMs: 200 },
          { key: 'm3', value: bytes(0, 3) },
        ]);
        expect(await store.get('m1')).toEqual(text('one'));
        expect(await store.get('m2')).toEqual(text('two'));
        expect(await store.get('m3')).toEqual(bytes(0, 3));
        await sleep(450);
        expect(await store.get('m2')).toBeUndefined();
        expect(await store.get('m1')).toEqual(text('one'));
      });

      it('writes nothing when one entry is invalid', async () => {
        const store = await open();
        await expect(
          store.setMany([
            { key: 'ok', value: text('fine') },
            { key: 'bad-ttl', value: text('x'), ttlMs: -5 },
          ]),
        ).rejects.toBeInstanceOf(StateArgumentError);
        expect(await store.get('ok')).toBeUndefined();
        expect(await store.get('bad-ttl')).toBeUndefined();
      });

      it('accepts an empty batch', async () => {
        const store = await open();
        await expect(store.setMany([])).resolves.toBeUndefined();
      });
    });

    describe('checkpoints (compare-and-set)', () => {
      it('creates a checkpoint at version 1 when the key was absent (expected version 0)', async () => {
        const store = await open();
        expect(await store.getVersioned('cp')).toBeUndefined();
        expect(await store.compareAndSet('cp', 0, text('state-1'))).toEqual({ outcome: 'written', version: 1 });
        expect(await store.getVersioned('cp')).toEqual({ value: text('state-1'), version: 1 });
      });

      it('advances one version per successful write', async () => {
        const store = await open();
        await store.compareAndSet('cp', 0, text('s1'));
        expect(await store.compareAndSet('cp', 1, text('s2'))).toEqual({ outcome: 'written', version: 2 });
        expect(await store.compareAndSet('cp', 2, text('s3'))).toEqual({ outcome: 'written', version: 3 });
        expect(await store.getVersioned('cp')).toEqual({ value: text('s3'), version: 3 });
      });

      it('refuses a stale writer and leaves the newer state in place', async () => {
        const store = await open();
        await store.compareAndSet('cp', 0, text('s1'));
        await store.compareAndSet('cp', 1, text('s2'));
        // A zombie instance that last saw version 1 tries to write.
        expect(await store.compareAndSet('cp', 1, text('zombie'))).toEqual({ outcome: 'conflict', currentVersion: 2 });
        expect(await store.compareAndSet('cp', 0, text('zombie'))).toEqual({ outcome: 'conflict', currentVersion: 2 });
        expect(await store.getVersioned('cp')).toEqual({ value: text('s2'), version: 2 });
      });

      it('reports current version 0 when a writer expects a checkpoint that does not exist', async () => {
        const store = await open();
        expect(await store.compareAndSet('cp', 3, text('x'))).toEqual({ outcome: 'conflict', currentVersion: 0 });
        expect(await store.getVersioned('cp')).toBeUndefined();
      });

      it('lets exactly one of many concurrent writers with the same expected version win', async () => {
        const store = await open();
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => store.compareAndSet('race', 0, text(`writer-${i}`))),
        );
        const winners = results.flatMap((result, i) => (result.outcome === 'written' ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const result of results) {
          if (result.outcome === 'conflict') expect(result.currentVersion).toBe(1);
        }
        expect(await store.getVersioned('race')).toEqual({ value: text(`writer-${winners[0] ?? -1}`), version: 1 });
      });

      it('starts again from version 0 after the checkpoint is deleted', async () => {
        const store = await open();
        await store.compareAndSet('cp', 0, text('s1'));
        expect(await store.delete('cp')).toBe(true);
        expect(await store.getVersioned('cp')).toBeUndefined();
        expect(await store.compareAndSet('cp', 0, text('fresh'))).toEqual({ outcome: 'written', version: 1 });
      });

      it('expires a checkpoint written with a TTL', async () => {
        const store = await open();
        await store.compareAndSet('cp', 0, text('s1'), { ttlMs: 200 });
        expect((await store.getVersioned('cp'))?.version).toBe(1);
        await sleep(450);
        expect(await store.getVersioned('cp')).toBeUndefined();
      });

      it('keeps a checkpoint whose last write had no TTL', async () => {
        const store = await open();
        await store.compareAndSet('cp', 0, text('s1'), { ttlMs: 200 });
        await store.compareAndSet('cp', 1, text('s2'));
        await sleep(450);
        expect(await store.getVersioned('cp')).toEqual({ value: text('s2'), version: 2 });
      });

      it('refuses to read or compare-and-set plain bytes as a checkpoint, and the reverse', async () => {
        const store = await open();
        await store.set('plain', text('x'));
        await store.compareAndSet('cp', 0, text('y'));
        await expect(store.getVersioned('plain')).rejects.toBeInstanceOf(StateKeyTypeError);
        await expect(store.compareAndSet('plain', 0, text('z'))).rejects.toBeInstanceOf(StateKeyTypeError);
        await expect(store.get('cp')).rejects.toBeInstanceOf(StateKeyTypeError);
        expect(await store.get('plain')).toEqual(text('x'));
      });

      it('lets set replace a checkpoint with plain bytes', async () => {
        const store = await open();
        await store.compareAndSet('cp', 0, text('s1'));
        await store.set('cp', text('plain'));
        expect(await store.get('cp')).toEqual(text('plain'));
        await expect(store.getVersioned('cp')).rejects.toBeInstanceOf(StateKeyTypeError);
      });

      it('rejects a negative or fractional expected version', async () => {
        const store = await open();
        await expect(store.compareAndSet('cp', -1, text('x'))).rejects.toBeInstanceOf(StateArgumentError);
        await expect(store.compareAndSet('cp', 0.5, text('x'))).rejects.toBeInstanceOf(StateArgumentError);
        expect(await store.getVersioned('cp')).toBeUndefined();
      });
    });

    describe('versioned registry (calibration)', () => {
      it('has no versions for a key never appended to', async () => {
        const store = await open();
        expect(await store.listVersions('rig-1')).toEqual([]);
        expect(await store.versionAt('rig-1', T0_US)).toBeUndefined();
      });

      it('numbers versions 1, 2, 3 in append order and lists them with their bytes', async () => {
        const store = await open();
        expect(await store.appendVersion('rig-1', T0_US, text('v1'))).toEqual({
          version: 1,
          validFromUs: T0_US,
          value: text('v1'),
        });
        await store.appendVersion('rig-1', T0_US + 1_000_000, text('v2'));
        await store.appendVersion('rig-1', T0_US + 2_000_000, bytes(0, 255));
        expect(await store.listVersions('rig-1')).toEqual([
          { version: 1, validFromUs: T0_US, value: text('v1') },
          { version: 2, validFromUs: T0_US + 1_000_000, value: text('v2') },
          { version: 3, validFromUs: T0_US + 2_000_000, value: bytes(0, 255) },
        ]);
      });

      it('answers which version applied at a time, to the microsecond', async () => {
        const store = await open();
        await store.appendVersion('rig-1', T0_US, text('v1'));
        await store.appendVersion('rig-1', T0_US + 1_000_000, text('v2'));
        await store.appendVersion('rig-1', T0_US + 2_000_000, text('v3'));
        expect(await store.versionAt('rig-1', T0_US - 1)).toBeUndefined();
        expect((await store.versionAt('rig-1', T0_US))?.version).toBe(1);
        expect((await store.versionAt('rig-1', T0_US + 999_999))?.version).toBe(1);
        expect((await store.versionAt('rig-1', T0_US + 1_000_000))?.value).toEqual(text('v2'));
        expect((await store.versionAt('rig-1', T0_US + 1_999_999))?.version).toBe(2);
        expect(await store.versionAt('rig-1', T0_US + 5_000_000)).toEqual({
          version: 3,
          validFromUs: T0_US + 2_000_000,
          value: text('v3'),
        });
      });

      it('lets a correction appended later win over a version with the same start time', async () => {
        const store = await open();
        await store.appendVersion('rig-1', T0_US, text('v1'));
        await store.appendVersion('rig-1', T0_US + 2_000_000, text('v2'));
        // Recalibration found v1 wrong from T0+1s on: appended later, valid from earlier.
        await store.appendVersion('rig-1', T0_US + 1_000_000, text('fix'));
        await store.appendVersion('rig-1', T0_US + 1_000_000, text('fix-2'));
        expect((await store.versionAt('rig-1', T0_US + 500_000))?.value).toEqual(text('v1'));
        expect(await store.versionAt('rig-1', T0_US + 1_500_000)).toEqual({
          version: 4,
          validFromUs: T0_US + 1_000_000,
          value: text('fix-2'),
        });
        expect((await store.versionAt('rig-1', T0_US + 2_500_000))?.value).toEqual(text('v2'));
        expect((await store.listVersions('rig-1')).map((v) => v.version)).toEqual([1, 2, 3, 4]);
      });

      it('gives concurrent appends distinct consecutive version numbers', async () => {
        const store = await open();
        const appended = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.appendVersion('rig-2', T0_US + i, text(`c${i}`))),
        );
        expect(appended.map((v) => v.version).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        const listed = await store.listVersions('rig-2');
        for (const version of appended) expect(listed[version.version - 1]).toEqual(version);
      });

      it('keeps registries apart from each other and from plain keys of the same name', async () => {
        const store = await open();
        await store.set('rig-1', text('plain'));
        await store.appendVersion('rig-1', T0_US, text('calib-1'));
        await store.appendVersion('rig-2', T0_US, text('calib-2'));
        expect(await store.get('rig-1')).toEqual(text('plain'));
        expect((await store.listVersions('rig-1')).map((v) => v.value)).toEqual([text('calib-1')]);
        expect((await store.versionAt('rig-2', T0_US))?.value).toEqual(text('calib-2'));
      });

      it('rejects a fractional or unsafe time', async () => {
        const store = await open();
        await expect(store.appendVersion('rig-1', 1.5, text('x'))).rejects.toBeInstanceOf(StateArgumentError);
        await expect(store.appendVersion('rig-1', 2 ** 53, text('x'))).rejects.toBeInstanceOf(StateArgumentError);
        await expect(store.versionAt('rig-1', Number.NaN)).rejects.toBeInstanceOf(StateArgumentError);
        expect(await store.listVersions('rig-1')).toEqual([]);
      });
    });

    describe('life cycle', () => {
      it('rejects every call after close with StateClosedError, and closing twice is fine', async () => {
        const store = await open();
        await store.set('k', text('x'));
        await store.close();
        await store.close();
        await expect(store.get('k')).rejects.toBeInstanceOf(StateClosedError);
        await expect(store.compareAndSet('cp', 0, text('x'))).rejects.toBeInstanceOf(StateClosedError);
        await expect(store.listVersions('rig')).rejects.toBeInstanceOf(StateClosedError);
      });
    });
  });
}
