import { describe, expect, it } from 'vitest';
import { decodeSweepPoints, encodeSweepPoints } from './cache.js';

describe('scene points side file', () => {
  const points = new Map<number, Float32Array>([
    [7, new Float32Array([1.5, -2.25, 0.125, 10, 20, 30])],
    [8, new Float32Array(0)],
    [9, new Float32Array([-0.5, 0.5, 3])],
  ]);

  it('round-trips every sweep\'s points exactly, empty sweeps included', () => {
    const bytes = encodeSweepPoints(points);
    // 8 header bytes, 8 per sweep, 12 per point.
    expect(bytes.length).toBe(8 + 3 * 8 + 3 * 12);
    // Decoding from an odd offset (as a decompressed buffer may sit) still gives the values.
    const shifted = Buffer.concat([Buffer.alloc(1), bytes]).subarray(1);
    const back = decodeSweepPoints(shifted);
    expect([...back.keys()]).toEqual([7, 8, 9]);
    expect([...(back.get(7) ?? [])]).toEqual([1.5, -2.25, 0.125, 10, 20, 30]);
    expect(back.get(8)?.length).toBe(0);
    expect([...(back.get(9) ?? [])]).toEqual([-0.5, 0.5, 3]);
  });

  it('rejects a truncated file or a wrong magic (the scene is then regenerated)', () => {
    const bytes = encodeSweepPoints(points);
    expect(() => decodeSweepPoints(bytes.subarray(0, bytes.length - 4))).toThrow(RangeError);
    const wrong = Buffer.from(bytes);
    wrong.writeUInt32LE(0, 0);
    expect(() => decodeSweepPoints(wrong)).toThrow(/magic/);
  });
});
