import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCloud, sourceOfCloud, type PointCloud } from './cloud.js';
import { fitBox, classHint } from './box.js';
import { euclideanClusters } from './cluster.js';
import { prefilter } from './filters.js';
import { segmentGround } from './ground.js';
import { removeNoiseAndOutliers } from './denoise.js';
import { GridIndex } from './grid-index.js';
import { KdTree } from './kdtree.js';
import { removeWeatherNoise } from './noise.js';
import { makeRng } from './plane.js';
import { Scratch } from './scratch.js';
import { prefilterVoxelGrid, voxelGrid } from './voxel-grid.js';
import { hasPcl, loadPcd, runPcl, savePcd, scratchDir } from './pcl-peer.testutil.js';
import { DEFAULT_LIDAR_PARAMS, processScan } from './chain.js';

function cloudOf(points: readonly (readonly number[])[]): PointCloud {
  const c = createCloud(points.length);
  points.forEach((p, i) => {
    c.x[i] = p[0] ?? 0;
    c.y[i] = p[1] ?? 0;
    c.z[i] = p[2] ?? 0;
    c.intensity[i] = p[3] ?? 0;
  });
  return c;
}

describe('prefilter', () => {
  it('drops NaN/Inf, zero returns, out-of-range, outside-crop and ego-body points (hand count)', () => {
    const c = cloudOf([
      [Number.NaN, 0, 0],
      [0, 0, 0], // zero return
      [0.1, 0, 0], // closer than minRange 0.5
      [100, 0, 0], // beyond maxRange 80
      [10, 0, 5], // above the crop box (maxZ 2.5)
      [1, 0.5, -1], // inside the ego body
      [10, 2, -1, Number.NaN], // kept, NaN intensity → 0
      [-20, 5, 0, 0.7], // kept
    ]);
    const r = prefilter(c, DEFAULT_LIDAR_PARAMS.prefilter);
    expect(r.stats).toEqual({ input: 8, invalid: 2, outOfRange: 2, cropped: 1, ego: 1, output: 2 });
    expect(Array.from(r.cloud.x.subarray(0, 2))).toEqual([10, -20]);
    expect(Array.from(r.cloud.intensity.subarray(0, 2))).toEqual([0, Math.fround(0.7)]);
  });
});

describe('voxel grid anchoring', () => {
  it('puts points into floor(p / leaf) voxels, negative side included (hand calculation)', () => {
    // leaf 1: voxels (0,0,0) ← two points, (-1,0,0) ← one, (2,3,-1) ← one.
    const c = cloudOf([
      [0.2, 0.2, 0.2, 1],
      [0.8, 0.6, 0.4, 3],
      [-0.5, 0.5, 0.5, 0],
      [2.5, 3.5, -0.5, 0],
    ]);
    const r = voxelGrid(c, { leafX: 1, leafY: 1, leafZ: 1 });
    expect(r.cloud.length).toBe(3);
    const v = r.voxelOfPoint[0] ?? -1;
    expect(r.voxelOfPoint[1]).toBe(v);
    expect(r.cloud.x[v]).toBeCloseTo(0.5, 6);
    expect(r.cloud.y[v]).toBeCloseTo(0.4, 6);
    expect(r.cloud.intensity[v]).toBeCloseTo(2, 6);
    expect(r.pointsPerVoxel[v]).toBe(2);
  });

  it('agrees with pcl_voxel_grid on values that sit on voxel borders in float32', () => {
    if (!hasPcl) {
      console.warn('skipped: Debian pcl-tools (pcl_voxel_grid) not installed');
      return;
    }
    // Multiples of the leaf, where floor(x · (1/leaf)) in float32 may land either side.
    const pts: number[][] = [];
    for (let i = -40; i <= 40; i++) for (const leaf of [0.3, 0.1]) pts.push([i * leaf, i * 0.3, i * 0.1 + (leaf === 0.1 ? 0.05 : 0)]);
    const c = cloudOf(pts);
    const { dir, cleanup } = scratchDir();
    try {
      savePcd(dir, 'in.pcd', c, 'binary');
      runPcl('pcl_voxel_grid', ['in.pcd', 'out.pcd', '-leaf', '0.3,0.3,0.1'], dir);
      const theirs = loadPcd(path.join(dir, 'out.pcd'));
      expect(voxelGrid(c, { leafX: 0.3, leafY: 0.3, leafZ: 0.1 }).cloud.length).toBe(theirs.length);
    } finally {
      cleanup();
    }
  });

  it("returns the input unchanged and flags it when PCL's 32-bit voxel index would overflow", () => {
    const c = cloudOf([
      [0, 0, 0],
      [1000, 1000, 1000],
    ]);
    const r = voxelGrid(c, { leafX: 0.01, leafY: 0.01, leafZ: 0.01 });
    expect(r.indexOverflow).toBe(true);
    expect(r.cloud.length).toBe(2);
  });
});

/** A road along +x: rising at `slopeDeg` from x = 10 m, a 10 cm speed bump at x = 6 m, sensor 1.73 m up. */
function roadScene(slopeDeg: number): { cloud: PointCloud; isObject: Uint8Array } {
  const pts: number[][] = [];
  const obj: number[] = [];
  const tan = Math.tan((slopeDeg * Math.PI) / 180);
  const roadZ = (x: number): number => {
    let h = x > 10 ? (x - 10) * tan : 0;
    if (Math.abs(x - 6) < 0.25) h += 0.1; // speed bump
    return h - 1.73;
  };
  for (let x = 2; x <= 40; x += 0.15) {
    for (let y = -6; y <= 6; y += 0.3) {
      pts.push([x, y, roadZ(x)]);
      obj.push(0);
    }
  }
  // A car-sized box on the slope at x = 20 m, y = 2 m.
  for (let x = 18; x <= 22; x += 0.1)
    for (let z = 0.2; z <= 1.5; z += 0.1) {
      pts.push([x, 1.2, roadZ(x) + z]);
      obj.push(1);
    }
  for (let y = 1.2; y <= 2.8; y += 0.1)
    for (let z = 0.2; z <= 1.5; z += 0.1) {
      pts.push([18, y, roadZ(18) + z]);
      obj.push(1);
    }
  return { cloud: cloudOf(pts), isObject: Uint8Array.from(obj) };
}

describe("the chain's one-pass prefilter + voxel grid", () => {
  it("declines (the chain then runs the two steps) when PCL's 32-bit voxel index would overflow", () => {
    const c = cloudOf([[-50, -50, -2, 0.1], [50, 50, 2, 0.1]]); // both within 80 m: kept by the prefilter
    const leaf = { leafX: 0.001, leafY: 0.001, leafZ: 0.001 };
    expect(prefilterVoxelGrid(sourceOfCloud(c), DEFAULT_LIDAR_PARAMS.prefilter, leaf, new Scratch(), createCloud(2))).toBeNull();
    const r = processScan(c, { ...DEFAULT_LIDAR_PARAMS, voxel: leaf });
    expect(r.voxelIndexOverflow).toBe(true);
    expect(r.counts.voxels).toBe(2);
  });

  it('counts dropped points like prefilter and averages the kept ones per voxel (hand calculation)', () => {
    const c = cloudOf([
      [Number.NaN, 1, 1, 1], // invalid
      [0, 0, 0, 1], // zero return: invalid
      [0.2, 0.1, 0.05, 1], // closer than 0.5 m: out of range
      [90, 0, 0, 1], // beyond 80 m: out of range
      [10, 10, 3, 1], // above the crop box (z ≤ 2.5)
      [1, 0, -1, 1], // inside the ego box
      [10.05, 5.05, 0.01, 0.2], // voxel (33, 16, 0)
      [10.15, 5.09, 0.09, Number.NaN], // same voxel (33.8, 16.97, 0.9 → 33, 16, 0); intensity NaN → 0
      [-10.05, 5.05, 0.01, 0.5], // voxel (−34, 16, 0)
    ]);
    const r = prefilterVoxelGrid(sourceOfCloud(c), DEFAULT_LIDAR_PARAMS.prefilter, DEFAULT_LIDAR_PARAMS.voxel, new Scratch(), createCloud(c.length));
    expect(r?.stats).toEqual({ input: 9, invalid: 2, outOfRange: 2, cropped: 1, ego: 1, output: 3 });
    expect(r?.voxels.length).toBe(2);
    expect(r?.voxels.x[0]).toBeCloseTo(10.1, 5);
    expect(r?.voxels.z[0]).toBeCloseTo(0.05, 5);
    expect(r?.voxels.intensity[0]).toBeCloseTo(0.1, 6);
    expect(r?.voxels.x[1]).toBeCloseTo(-10.05, 5);
  });
});

describe('ground segmentation', () => {
  for (const slope of [0, 4, 7]) {
    it(`keeps a road rising at ${slope}° with a 10 cm speed bump as ground and a car on it as non-ground`, () => {
      const { cloud, isObject } = roadScene(slope);
      const g = segmentGround(cloud, DEFAULT_LIDAR_PARAMS.ground);
      let roadAsGround = 0;
      let road = 0;
      let objAsGround = 0;
      let obj = 0;
      for (let i = 0; i < cloud.length; i++) {
        if (isObject[i] === 1) {
          obj++;
          if (g.ground[i] === 1) objAsGround++;
        } else {
          road++;
          if (g.ground[i] === 1) roadAsGround++;
        }
      }
      // Points behind the car (occluded in reality, present here) still count: ≥ 98 %.
      expect(roadAsGround / road).toBeGreaterThanOrEqual(0.98);
      // Only the bottom row (0.2 m above the road) may be taken for ground.
      expect(objAsGround / obj).toBeLessThanOrEqual(0.1);
    });
  }
});

describe('Euclidean clusters', () => {
  it('joins points closer than the tolerance and splits farther ones, with size limits', () => {
    const pts: number[][] = [];
    for (let i = 0; i < 20; i++) pts.push([i * 0.5, 0, 0]); // chain of 20, gaps 0.5 m
    for (let i = 0; i < 12; i++) pts.push([20 + i * 0.69, 5, 0]); // chain of 12, gaps 0.69 m
    for (let i = 0; i < 12; i++) pts.push([20 + i * 0.71, -5, 0]); // gaps 0.71 m: all singletons
    for (let i = 0; i < 3; i++) pts.push([-10, -10, i * 0.1]); // too small
    const r = euclideanClusters(cloudOf(pts), { tolerance: 0.7, minSize: 10, maxSize: 1000 });
    expect(r.count).toBe(2);
    expect((r.start[1] ?? 0) - (r.start[0] ?? 0)).toBe(20);
    expect((r.start[2] ?? 0) - (r.start[1] ?? 0)).toBe(12);
    expect(r.labelOfPoint[32]).toBe(-1);
    expect(euclideanClusters(cloudOf(pts), { tolerance: 0.7, minSize: 10, maxSize: 15 }).count).toBe(1);
  });

  it('keeps a sparse far object under the range-scaled minimum, and a near one of the same size not', () => {
    // Three 6-point clusters (0.3 m apart inside each): at 15 m, 24 m and 40 m from the origin (the sensor).
    // minSize 10, far rule from 20 m, floor 6. By hand: 15 m is inside 20 m, so it needs 10: dropped;
    // 24 m needs max(6, ceil(10 * (20/24)^2 = 6.94)) = 7: dropped; 40 m needs max(6, ceil(10 * 0.25)) = 6: kept.
    const pts: number[][] = [];
    for (const range of [15, 24, 40]) for (let i = 0; i < 6; i++) pts.push([range, i * 0.3, 0]);
    const params = { tolerance: 0.7, minSize: 10, maxSize: 1000 };
    expect(euclideanClusters(cloudOf(pts), params).count).toBe(0);
    const far = euclideanClusters(cloudOf(pts), { ...params, far: { fromM: 20, floor: 6 } });
    expect(far.count).toBe(1);
    expect(far.labelOfPoint[12]).toBe(0); // the first point at 40 m
    expect(far.labelOfPoint[6]).toBe(-1); // 24 m
    expect(far.labelOfPoint[0]).toBe(-1); // 15 m
    // A 7-point cluster at 24 m passes.
    const seven = [...pts.slice(6, 12), [24, 1.8, 0]];
    expect(euclideanClusters(cloudOf(seven), { ...params, far: { fromM: 20, floor: 6 } }).count).toBe(1);
    expect(() => euclideanClusters(cloudOf(pts), { ...params, far: { fromM: 0, floor: 6 } })).toThrow(/far rule/);
  });
});

describe('oriented box fit', () => {
  for (const yawDeg of [0, 30, -60, 89]) {
    it(`recovers a 4.5 × 1.8 m car seen as an L at yaw ${yawDeg}°`, () => {
      const yaw = (yawDeg * Math.PI) / 180;
      const cx = 12;
      const cy = -3;
      const pts: number[][] = [];
      // Two visible sides of the rectangle (an L), 5 cm spacing, 3 heights.
      const local: [number, number][] = [];
      for (let k = 0; k <= 90; k++) local.push([-2.25 + k * 0.05, -0.9]);
      for (let k = 0; k <= 36; k++) local.push([-2.25, -0.9 + k * 0.05]);
      for (const [a, b] of local)
        for (const z of [-1.2, -0.6, 0])
          pts.push([cx + a * Math.cos(yaw) - b * Math.sin(yaw), cy + a * Math.sin(yaw) + b * Math.cos(yaw), z, 0.3]);
      const cloud = cloudOf(pts);
      const idx = Uint32Array.from(pts.keys());
      const box = fitBox(cloud, idx, 0, idx.length, { angleStepDeg: 1 });
      expect(box.length).toBeCloseTo(4.5, 1);
      expect(box.width).toBeCloseTo(1.8, 1);
      expect(box.height).toBeCloseTo(1.2, 6);
      expect(Math.hypot(box.centerX - cx, box.centerY - cy)).toBeLessThan(0.05);
      const dYaw = Math.abs(((box.yaw - yaw + Math.PI / 2) % Math.PI + Math.PI) % Math.PI - Math.PI / 2);
      expect(dYaw).toBeLessThan((1.5 * Math.PI) / 180);
      expect(box.classHint).toBe('vehicle');
      expect(box.meanIntensity).toBeCloseTo(0.3, 6);
    });
  }

  it('gives class hints from typical KITTI sizes', () => {
    expect(classHint(3.9, 1.6, 1.5)).toBe('vehicle');
    expect(classHint(0.8, 0.6, 1.75)).toBe('pedestrian');
    expect(classHint(1.8, 0.6, 1.7)).toBe('cyclist');
    expect(classHint(0.3, 0.3, 0.3)).toBe('unknown');
  });
});

describe('rain / spray noise filter', () => {
  it('removes weak isolated returns, keeps a wall and a far bright sign, reports reliability', () => {
    const rng = makeRng(7);
    const pts: number[][] = [];
    // A wall 10 m ahead: 2000 points on a 0.1 m grid, intensity 0.3.
    for (let i = 0; i < 50; i++) for (let j = 0; j < 40; j++) pts.push([10, -2.5 + i * 0.1, -1 + j * 0.1, 0.3]);
    // 200 rain drops in the air between 2 and 9 m over 20 m of width (≈ 0.5 per m³), weak (0.01).
    for (let i = 0; i < 200; i++) pts.push([2 + 7 * rng(), -10 + 20 * rng(), -1 + 3 * rng(), 0.01]);
    // A bright isolated sign far away.
    pts.push([60, 3, 2, 0.9]);
    const cloud = cloudOf(pts);
    const r = removeWeatherNoise(cloud, DEFAULT_LIDAR_PARAMS.noise);
    let wallKept = 0;
    for (let i = 0; i < 2000; i++) wallKept += r.keep[i] ?? 0;
    let rainRemoved = 0;
    for (let i = 2000; i < 2200; i++) rainRemoved += 1 - (r.keep[i] ?? 0);
    expect(wallKept).toBe(2000);
    // Poisson with mean ≈ 0.45 neighbours in 0.6 m: P(≥ 2) ≈ 8 %, so ≥ 85 % of drops go.
    expect(rainRemoved).toBeGreaterThanOrEqual(170);
    expect(r.keep[2200]).toBe(1);
    expect(r.removed).toBe(rainRemoved);
    expect(r.noiseFraction).toBeCloseTo(rainRemoved / 2201, 12);
    expect(r.reliability).toBeCloseTo(1 - rainRemoved / 2201, 12);
  });

  it('keeps a weak return next to a bright one (a window in a car door) and removes the same return alone', () => {
    // Hand-built: a bright door panel point at (10, 0, 0), a weak window point 0.4 m above it, and the
    // same weak point 5 m away with nothing near. Neither weak point has 2 neighbours within 0.6 m.
    const cloud = cloudOf([
      [10, 0, 0, 0.4],
      [10, 0, 0.4, 0.02],
      [10, 5, 0.4, 0.02],
    ]);
    const r = removeWeatherNoise(cloud, DEFAULT_LIDAR_PARAMS.noise);
    expect(Array.from(r.keep)).toEqual([1, 1, 0]);
    // The chain's one-pass filter (grid index) gives the same verdict as the k-d tree path.
    const viaTree = removeWeatherNoise(cloud, DEFAULT_LIDAR_PARAMS.noise, new KdTree(cloud));
    expect(Array.from(viaTree.keep)).toEqual([1, 1, 0]);
    const one = removeNoiseAndOutliers(cloud, DEFAULT_LIDAR_PARAMS.noise, null, GridIndex.build(cloud, 0.6) ?? new KdTree(cloud), new Uint8Array(3));
    expect(Array.from(one.keep)).toEqual([1, 1, 0]);
    expect(one.noise).toBe(1);
  });

  it('the chain reports lower reliability for a rainy sweep than for the same sweep dry', () => {
    const { cloud } = roadScene(0);
    const rng = makeRng(3);
    const wet = createCloud(cloud.length + 3000);
    wet.x.set(cloud.x);
    wet.y.set(cloud.y);
    wet.z.set(cloud.z);
    wet.intensity.fill(0.3, 0, cloud.length);
    for (let i = cloud.length; i < wet.length; i++) {
      wet.x[i] = 3 + 30 * rng();
      wet.y[i] = -10 + 20 * rng();
      wet.z[i] = -1 + 3 * rng();
      wet.intensity[i] = 0.02;
    }
    const dryCloud = createCloud(cloud.length);
    dryCloud.x.set(cloud.x);
    dryCloud.y.set(cloud.y);
    dryCloud.z.set(cloud.z);
    dryCloud.intensity.fill(0.3);
    const dry = processScan(dryCloud);
    const rain = processScan(wet);
    expect(dry.reliability).toBe(1);
    expect(rain.reliability).toBeLessThan(0.95);
  });
});
