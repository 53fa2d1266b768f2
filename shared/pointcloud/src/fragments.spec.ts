import { describe, expect, it } from 'vitest';
import { createCloud, type PointCloud } from './cloud.js';
import { DEFAULT_LIDAR_PARAMS, processScan, resolveLidarParams } from './chain.js';

const GROUND_Z = -1.73;

/** Flat road (every 0.25 m, 2–60 m ahead, ±6 m) plus the given points, intensity 0.3. */
function roadWith(extra: readonly (readonly [number, number, number])[]): PointCloud {
  const pts: (readonly [number, number, number])[] = [];
  for (let x = 2; x <= 60; x += 0.25) for (let y = -6; y <= 6; y += 0.25) pts.push([x, y, GROUND_Z]);
  pts.push(...extra);
  const c = createCloud(pts.length);
  pts.forEach(([x, y, z], i) => {
    c.x[i] = x;
    c.y[i] = y;
    c.z[i] = z;
    c.intensity[i] = 0.3;
  });
  return c;
}

/**
 * What a 32-beam sensor leaves of a pedestrian at range: two rings 0.8 m apart (0.7 and 1.5 m above the road), two
 * returns each 0.3 m apart. Each return has one neighbour within 0.6 m, so the radius filter (2 needed) removes all four.
 */
function farPedestrian(x: number, y: number): [number, number, number][] {
  return [
    [x, y - 0.15, GROUND_Z + 0.7], [x, y + 0.15, GROUND_Z + 0.7],
    [x, y - 0.15, GROUND_Z + 1.5], [x, y + 0.15, GROUND_Z + 1.5],
  ];
}

const ON = resolveLidarParams({ fragments: { fromM: 20 } });

describe('LIDAR fragments (depth hints for fusion)', () => {
  it("a far pedestrian's four returns are no object but one fragment at their mean", () => {
    const r = processScan(roadWith(farPedestrian(45, 2)), ON);
    expect(r.objects).toHaveLength(0);
    expect(r.fragments).toHaveLength(1);
    const [f] = r.fragments;
    if (f === undefined) return;
    expect(f.pointCount).toBe(4);
    // Hand mean of the four returns: (45, 2, −1.73 + 1.1); voxel centroids move them by less than half a leaf.
    expect(f.x).toBeCloseTo(45, 0);
    expect(Math.abs(f.y - 2)).toBeLessThan(0.15);
    expect(Math.abs(f.z - (GROUND_Z + 1.1))).toBeLessThan(0.1);
  });

  it('none nearer than fromM, none from the road itself, none with fragments off (the library default)', () => {
    expect(processScan(roadWith(farPedestrian(12, 2)), ON).fragments).toHaveLength(0);
    // A lone return 0.1 m above the road at 45 m: an outlier, but not above minHeightM.
    expect(processScan(roadWith([[45, -3, GROUND_Z + 0.1]]), ON).fragments).toHaveLength(0);
    expect(DEFAULT_LIDAR_PARAMS.fragments.fromM).toBe(0);
    expect(processScan(roadWith(farPedestrian(45, 2))).fragments).toHaveLength(0);
  });

  it('a cluster under the size rule becomes a fragment, one the clusterer reports does not', () => {
    // Five returns 0.3 m apart in one ring, one per voxel (outlier filter off): too few for a cluster (far floor 6).
    const five: [number, number, number][] = [0, 1, 2, 3, 4].map((k) => [40.15, -1.95 + 0.3 * k, GROUND_Z + 1.05]);
    const small = processScan(roadWith(five), resolveLidarParams({ outlierMethod: 'none', fragments: { fromM: 20 }, cluster: { far: { fromM: 20, floor: 6 } } }));
    expect(small.objects).toHaveLength(0);
    expect(small.fragments.map((f) => f.pointCount)).toEqual([5]);
    const reported = processScan(roadWith(five), resolveLidarParams({ outlierMethod: 'none', fragments: { fromM: 20 }, cluster: { minSize: 5 } }));
    expect(reported.objects).toHaveLength(1);
    expect(reported.fragments).toHaveLength(0);
  });

  it('keeps at most maxCount, the largest first', () => {
    const r = processScan(roadWith([...farPedestrian(45, 2), [50, -4, GROUND_Z + 1], ...farPedestrian(30, -3)]), resolveLidarParams({ fragments: { fromM: 20, maxCount: 2 } }));
    expect(r.fragments.map((f) => f.pointCount)).toEqual([4, 4]);
  });
});
