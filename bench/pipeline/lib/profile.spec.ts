import { describe, expect, it } from 'vitest';
import { hotFunctions, shortLocation } from './profile.js';

describe('hotFunctions', () => {
  it('attributes to each sample the gap to the next one and ranks self time, idle left out', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: 'decode', url: 'file:///work/main/shared/codec/src/codec.ts', lineNumber: 99 } },
        { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
        { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      ],
      samples: [2, 2, 3, 4, 2],
      // Sample i lasts timeDeltas[i + 1]; the last one reuses its own delta: 1, 1, 2 (idle), 1, 1 ms.
      timeDeltas: [0, 1000, 1000, 2000, 1000],
    };
    const hot = hotFunctions(profile, 5);
    expect(hot.totalMs).toBe(6);
    expect(hot.busyMs).toBe(4);
    expect(hot.functions).toEqual([
      { name: 'decode (shared/codec/src/codec.ts:100)', selfMs: 3, fraction: 0.75 },
      { name: '(garbage collector)', selfMs: 1, fraction: 0.25 },
    ]);
    // Samples at 0, 1, 2, 4, 5 ms after the start; the window 1.5–4.5 ms holds the idle one (2 ms) and the GC one.
    const windowed = hotFunctions(profile, 5, { fromUs: 1500, toUs: 4500 });
    expect(windowed.totalMs).toBe(3);
    expect(windowed.functions).toEqual([{ name: '(garbage collector)', selfMs: 1, fraction: 1 }]);
  });

  it('shortens locations to the workspace path or the npm package', () => {
    expect(shortLocation('file:///work/main/node_modules/kafkajs/src/consumer/index.js')).toBe('kafkajs');
    expect(shortLocation('file:///work/main/node_modules/@mcap/core/dist/x.js')).toBe('@mcap/core');
    expect(shortLocation('file:///work/main/services/lidar-worker/src/core/chain.ts')).toBe('services/lidar-worker/src/core/chain.ts');
    expect(shortLocation('node:internal/streams/readable')).toBe('streams/readable');
  });
});
