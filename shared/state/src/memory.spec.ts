import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from './memory.js';
import { describeStateStoreConformance } from './testing/conformance.js';

describeStateStoreConformance('MemoryStateStore', { create: () => Promise.resolve(new MemoryStateStore()) });

describe('MemoryStateStore with an injected clock', () => {
  it('expires a value exactly when its TTL has elapsed on the injected clock', async () => {
    let nowMs = 1_000;
    const store = new MemoryStateStore({ nowMs: () => nowMs });
    await store.set('k', Uint8Array.of(1), { ttlMs: 100 });
    nowMs = 1_099;
    expect(await store.get('k')).toEqual(Uint8Array.of(1));
    nowMs = 1_100;
    expect(await store.get('k')).toBeUndefined();
  });
});
