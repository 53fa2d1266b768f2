import { describe, expect, it } from 'vitest';
import { PoisonRecordError } from '@sensorfuse/errors';
import { createCloud, kittiLayout, viewPoints, type PointLayout } from './cloud.js';
import { processScan, resolveLidarParams } from './chain.js';
import {
  BadPointStrideError,
  PcdFormatError,
  PointCountOverCapError,
  PointDescriptorMismatchError,
  TruncatedPointBufferError,
} from './errors.js';
import { KdTree } from './kdtree.js';
import { lzfDecompress } from './lzf.js';
import { radiusOutlierRemoval, statisticalOutlierRemoval } from './outliers.js';
import { readPcd } from './pcd.js';
import { readKittiBin } from './readers.js';

function kittiBytes(points: readonly (readonly [number, number, number, number])[]): Uint8Array {
  const f = new Float32Array(points.length * 4);
  points.forEach((p, i) => {
    f.set(p, i * 4);
  });
  return new Uint8Array(f.buffer);
}

describe('malformed sweeps raise typed, non-retriable errors', () => {
  const good = kittiBytes([
    [1, 2, 3, 0.5],
    [4, 5, 6, 0.25],
  ]);

  it('a buffer cut inside a point is TruncatedPointBufferError', () => {
    const cut = good.subarray(0, 27);
    const err = (() => {
      try {
        viewPoints(cut, kittiLayout(2));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(TruncatedPointBufferError);
    expect(err).toBeInstanceOf(PoisonRecordError);
    expect((err as PoisonRecordError).retriable).toBe(false);
    expect((err as Error).name).toBe('TruncatedPointBufferError');
  });

  it('whole points missing (count says 3, bytes hold 2) is TruncatedPointBufferError', () => {
    expect(() => viewPoints(good, kittiLayout(3))).toThrow(TruncatedPointBufferError);
  });

  it('a stride that does not divide the byte length is BadPointStrideError', () => {
    const layout: PointLayout = { ...kittiLayout(1), stride: 20 };
    expect(() => viewPoints(good, layout)).toThrow(BadPointStrideError);
    expect(() => viewPoints(good, { ...kittiLayout(2), stride: 0 })).toThrow(BadPointStrideError);
    expect(() => readKittiBin(good.subarray(0, 30))).toThrow(BadPointStrideError);
  });

  it('descriptors that disagree with the bytes are PointDescriptorMismatchError', () => {
    // More bytes than the declared count.
    expect(() => viewPoints(good, kittiLayout(1))).toThrow(PointDescriptorMismatchError);
    // A field reaching past the point.
    const past: PointLayout = {
      stride: 16,
      count: 2,
      fields: [
        { name: 'x', offset: 0, datatype: 'float32' },
        { name: 'y', offset: 4, datatype: 'float32' },
        { name: 'z', offset: 14, datatype: 'float32' },
      ],
    };
    expect(() => viewPoints(good, past)).toThrow(PointDescriptorMismatchError);
    // Overlapping fields.
    const overlap: PointLayout = {
      stride: 16,
      count: 2,
      fields: [
        { name: 'x', offset: 0, datatype: 'float64' },
        { name: 'y', offset: 4, datatype: 'float32' },
        { name: 'z', offset: 8, datatype: 'float32' },
      ],
    };
    expect(() => viewPoints(good, overlap)).toThrow(PointDescriptorMismatchError);
    // No z at all.
    const noZ: PointLayout = { stride: 16, count: 2, fields: kittiLayout(2).fields.filter((f) => f.name !== 'z') };
    expect(() => viewPoints(good, noZ)).toThrow(PointDescriptorMismatchError);
  });

  it('a sweep above the point cap is PointCountOverCapError before any allocation', () => {
    // 10M + 1 declared points over an empty buffer: the cap is checked first, nothing is allocated.
    expect(() => viewPoints(new Uint8Array(0), kittiLayout(10_000_001))).toThrow(PointCountOverCapError);
    // A real 1000-point sweep against a configured cap of 999.
    const bytes = kittiBytes(Array.from({ length: 1000 }, (_, i) => [i, 1, 1, 0] as const));
    expect(() => processScan({ bytes, layout: kittiLayout(1000) }, resolveLidarParams({ maxPoints: 999 }))).toThrow(
      PointCountOverCapError,
    );
  });

  it('reads a descriptor with x,y,z,intensity,ring,time in mixed types and offsets', () => {
    // x,y,z float32, intensity uint8, ring uint16, time float64 (relative seconds) — stride 24.
    const buf = new ArrayBuffer(48);
    const dv = new DataView(buf);
    const pts = [
      [1.5, -2, 3, 200, 7, 0.001],
      [4, 5.25, -6, 10, 63, 0.002],
    ] as const;
    pts.forEach((p, i) => {
      const b = i * 24;
      dv.setFloat32(b, p[0], true);
      dv.setFloat32(b + 4, p[1], true);
      dv.setFloat32(b + 8, p[2], true);
      dv.setUint8(b + 12, p[3]);
      dv.setUint16(b + 14, p[4], true);
      dv.setFloat64(b + 16, p[5], true);
    });
    const view = viewPoints(new Uint8Array(buf), {
      stride: 24,
      count: 2,
      fields: [
        { name: 'x', offset: 0, datatype: 'float32' },
        { name: 'y', offset: 4, datatype: 'float32' },
        { name: 'z', offset: 8, datatype: 'float32' },
        { name: 'intensity', offset: 12, datatype: 'uint8' },
        { name: 'ring', offset: 14, datatype: 'uint16' },
        { name: 'time', offset: 16, datatype: 'float64' },
      ],
    });
    const cloud = view.toCloud();
    expect([...cloud.x]).toEqual([1.5, 4]);
    expect([...cloud.z]).toEqual([3, -6]);
    expect([...cloud.intensity]).toEqual([200, 10]);
    expect(view.readField('ring', 1)).toBe(63);
    expect(view.readField('time', 0)).toBe(0.001);
  });

  it('corrupt PCD files are PcdFormatError', () => {
    const enc = new TextEncoder();
    expect(() => readPcd(enc.encode('VERSION .7\nFIELDS x y z\n'))).toThrow(PcdFormatError);
    const head = 'VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 2\nHEIGHT 1\nPOINTS 2\nDATA binary\n';
    expect(() => readPcd(enc.encode(head + '\u0000'.repeat(10)))).toThrow(PcdFormatError);
    // A back-reference before the start of the output.
    expect(() => lzfDecompress(Uint8Array.from([0x20, 0x05]), 3)).toThrow(PcdFormatError);
  });
});

describe('degenerate sweeps give a flagged empty result or finish in bounded work', () => {
  it('a NaN storm (every coordinate NaN or ±Inf) yields status empty/no-valid-points', () => {
    const n = 100_000;
    const cloud = createCloud(n);
    for (let i = 0; i < n; i++) {
      cloud.x[i] = i % 3 === 0 ? Number.NaN : i % 3 === 1 ? Infinity : 1;
      cloud.y[i] = i % 3 === 2 ? -Infinity : 0;
      cloud.z[i] = 0;
    }
    const r = processScan(cloud);
    expect(r.status).toEqual({ kind: 'empty', reason: 'no-valid-points' });
    expect(r.objects).toEqual([]);
    expect(r.counts.prefilter.invalid).toBe(n);
  });

  it('a whole zero-filled sweep (120k zero returns) yields status empty, not a hang', () => {
    const bytes = new Uint8Array(120_000 * 16);
    const r = processScan({ bytes, layout: kittiLayout(120_000) });
    expect(r.status).toEqual({ kind: 'empty', reason: 'no-valid-points' });
    expect(r.counts.prefilter.invalid).toBe(120_000);
  });

  it('an empty sweep yields status empty/no-points', () => {
    const r = processScan({ bytes: new Uint8Array(0), layout: kittiLayout(0) });
    expect(r.status).toEqual({ kind: 'empty', reason: 'no-points' });
  });

  it('200k identical points: statistical and radius filters keep them all, the chain returns one voxel', () => {
    const n = 200_000;
    const cloud = createCloud(n);
    cloud.x.fill(5);
    cloud.y.fill(1);
    cloud.z.fill(-1);
    const tree = new KdTree(cloud);
    // Every point has 50 neighbours at distance 0: mean distance 0 = threshold, all inliers.
    const sor = statisticalOutlierRemoval(cloud, { meanK: 50, stdMul: 1 }, tree);
    expect(sor.removed).toBe(0);
    const ror = radiusOutlierRemoval(cloud, { radius: 0.5, minNeighbors: 3 }, tree);
    expect(ror.removed).toBe(0);
    const r = processScan(cloud, resolveLidarParams({ outlierMethod: 'statistical' }));
    expect(r.status.kind).toBe('ok');
    expect(r.counts.voxels).toBe(1);
  });
});
