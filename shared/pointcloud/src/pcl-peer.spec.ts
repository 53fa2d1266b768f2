import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCloud, sourceOfCloud, type PointCloud } from './cloud.js';
import { processScan } from './chain.js';
import { euclideanClusters } from './cluster.js';
import { KdTree } from './kdtree.js';
import { radiusOutlierRemoval, statisticalOutlierRemoval } from './outliers.js';
import { fitPlaneRansac, planeAngleDeg } from './plane.js';
import { readKittiBin } from './readers.js';
import { Scratch } from './scratch.js';
import { prefilterVoxelGrid, voxelGrid } from './voxel-grid.js';
import {
  KITTI_FRAMES,
  hasKitti,
  hasPcl,
  kittiFile,
  loadPcd,
  runPcl,
  savePcd,
  scratchDir,
} from './pcl-peer.testutil.js';

function skipReason(): string | null {
  if (!hasKitti) return 'skipped: ../shared/data/kitti absent';
  if (!hasPcl) return 'skipped: Debian pcl-tools (pcl_voxel_grid …) not installed';
  return null;
}

/** For each point of `sub`, the index of the identical point (within 1 mm) in `of`, or -1. */
function matchPoints(sub: PointCloud, of: PointCloud, tree = new KdTree(of)): Int32Array {
  const idx = new Int32Array(1);
  const d2 = new Float64Array(1);
  const out = new Int32Array(sub.length);
  for (let i = 0; i < sub.length; i++) {
    const found = tree.knn(sub.x[i] ?? 0, sub.y[i] ?? 0, sub.z[i] ?? 0, 1, idx, d2);
    out[i] = found === 1 && (d2[0] ?? 1) < 1e-6 ? (idx[0] ?? -1) : -1;
  }
  return out;
}

/** Mask over `of`: 1 where PCL kept the point (its output cloud `kept`). */
function keptMask(kept: PointCloud, of: PointCloud): Uint8Array {
  const mask = new Uint8Array(of.length);
  const m = matchPoints(kept, of);
  for (const j of m) if (j >= 0) mask[j] = 1;
  return mask;
}

function agreement(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

describe('peer comparison with PCL (Debian pcl-tools) on KITTI velodyne scans', () => {
  for (const frame of KITTI_FRAMES) {
    it(`frame ${frame}: voxel grid 0.3/0.3/0.1 gives PCL's voxel count and centroids`, () => {
      const reason = skipReason();
      if (reason) {
        console.warn(reason);
        return;
      }
      const { dir, cleanup } = scratchDir();
      try {
        const cloud = readKittiBin(readFileSync(kittiFile('velodyne', frame)));
        const input = savePcd(dir, 'in.pcd', cloud);
        runPcl('pcl_voxel_grid', [input, 'vox.pcd', '-leaf', '0.3,0.3,0.1'], dir);
        const theirs = loadPcd(path.join(dir, 'vox.pcd'));
        const ours = voxelGrid(cloud, { leafX: 0.3, leafY: 0.3, leafZ: 0.1 });
        expect(ours.cloud.length).toBe(theirs.length);
        // Every PCL centroid has one of ours within 1 mm (PCL sums in float32, we in float64).
        const m = matchPoints(theirs, ours.cloud);
        const unmatched = m.filter((j) => j < 0).length;
        expect(unmatched).toBe(0);
        expect(new Set(m).size).toBe(theirs.length);
        // The chain's one-pass prefilter + voxel grid, with limits that keep every point of the scan.
        const keepAll = { minRange: 0, maxRange: 1000, cropBox: { minX: -200, maxX: 200, minY: -200, maxY: 200, minZ: -20, maxZ: 20 }, egoBox: null };
        const one = prefilterVoxelGrid(sourceOfCloud(cloud), keepAll, { leafX: 0.3, leafY: 0.3, leafZ: 0.1 }, new Scratch(), createCloud(cloud.length));
        expect(one?.stats.output).toBe(cloud.length);
        expect(one?.voxels.length).toBe(theirs.length);
        if (one) expect(matchPoints(theirs, one.voxels).filter((j) => j < 0).length).toBe(0);
      } finally {
        cleanup();
      }
    });

    it(`frame ${frame}: statistical (k=50, 1.0σ) and radius (0.5 m, 3) outlier sets agree with PCL on ≥ 99% of points`, () => {
      const reason = skipReason();
      if (reason) {
        console.warn(reason);
        return;
      }
      const { dir, cleanup } = scratchDir();
      try {
        const cloud = readKittiBin(readFileSync(kittiFile('velodyne', frame)));
        savePcd(dir, 'in.pcd', cloud);
        runPcl('pcl_voxel_grid', ['in.pcd', 'vox.pcd', '-leaf', '0.3,0.3,0.1'], dir);
        // Both sides filter PCL's own voxel output: identical input.
        const vox = loadPcd(path.join(dir, 'vox.pcd'));
        runPcl('pcl_outlier_removal', ['vox.pcd', 'sor.pcd', '-method', 'statistical', '-mean_k', '50', '-std_dev_mul', '1'], dir);
        runPcl('pcl_outlier_removal', ['vox.pcd', 'ror.pcd', '-method', 'radius', '-radius', '0.5', '-min_pts', '3'], dir);
        const tree = new KdTree(vox);
        const sorPcl = keptMask(loadPcd(path.join(dir, 'sor.pcd')), vox);
        const rorPcl = keptMask(loadPcd(path.join(dir, 'ror.pcd')), vox);
        const sor = statisticalOutlierRemoval(vox, { meanK: 50, stdMul: 1 }, tree);
        const ror = radiusOutlierRemoval(vox, { radius: 0.5, minNeighbors: 3 }, tree);
        // Default index for the radius filter: the uniform grid (the chain's path).
        const rorGrid = radiusOutlierRemoval(vox, { radius: 0.5, minNeighbors: 3 });
        const sorAgree = agreement(sor.keep, sorPcl);
        const rorAgree = agreement(ror.keep, rorPcl);
        const rorGridAgree = agreement(rorGrid.keep, rorPcl);
        console.info(
          `frame ${frame}: SOR agreement ${sorAgree.toFixed(5)}, ROR agreement ${rorAgree.toFixed(5)} (k-d tree), ${rorGridAgree.toFixed(5)} (grid)`,
        );
        expect(sorAgree).toBeGreaterThanOrEqual(0.99);
        expect(rorAgree).toBeGreaterThanOrEqual(0.99);
        expect(rorGridAgree).toBeGreaterThanOrEqual(0.99);
        // And both remove something: a filter that keeps everything would not agree this well.
        expect(sorPcl.includes(0) && rorPcl.includes(0)).toBe(true);
      } finally {
        cleanup();
      }
    });

    it(`frame ${frame}: RANSAC plane within 1° of pcl_sac_segmentation_plane's`, () => {
      const reason = skipReason();
      if (reason) {
        console.warn(reason);
        return;
      }
      const { dir, cleanup } = scratchDir();
      try {
        const cloud = readKittiBin(readFileSync(kittiFile('velodyne', frame)));
        const vox = voxelGrid(cloud, { leafX: 0.3, leafY: 0.3, leafZ: 0.1 }).cloud;
        savePcd(dir, 'vox.pcd', vox);
        const run = runPcl('pcl_sac_segmentation_plane', ['vox.pcd', 'plane.pcd', '-thresh', '0.2'], dir);
        const m = /Model coefficients: \[([^\]]+)\]/.exec(run.output);
        expect(m).not.toBeNull();
        const [a, b, c, d] = (m?.[1] ?? '').trim().split(/\s+/).map(Number);
        const theirs = { a: a ?? 0, b: b ?? 0, c: c ?? 0, d: d ?? 0 };
        const ours = fitPlaneRansac(vox, { distanceThreshold: 0.2, maxIterations: 1000 });
        expect(ours.plane).not.toBeNull();
        if (!ours.plane) return;
        const angle = planeAngleDeg(ours.plane, theirs);
        const sign = Math.sign(theirs.c) || 1;
        console.info(`frame ${frame}: plane angle to PCL ${angle.toFixed(3)}°, offset ${ours.plane.d.toFixed(3)} vs ${(sign * theirs.d).toFixed(3)}`);
        expect(angle).toBeLessThanOrEqual(1);
        expect(Math.abs(ours.plane.d - sign * theirs.d)).toBeLessThan(0.1);
        const theirInliers = loadPcd(path.join(dir, 'plane.pcd')).length;
        expect(Math.abs(ours.inlierCount - theirInliers) / theirInliers).toBeLessThan(0.05);
        // The chain's ray-based ground, summarised as a least-squares plane, is the same road.
        const chainGround = processScan(cloud).groundPlane;
        expect(chainGround).not.toBeNull();
        if (!chainGround) return;
        const groundAngle = planeAngleDeg(chainGround, theirs);
        console.info(`frame ${frame}: chain ground plane ${groundAngle.toFixed(3)}° from PCL's plane`);
        expect(groundAngle).toBeLessThanOrEqual(2);
      } finally {
        cleanup();
      }
    });

    it(`frame ${frame}: Euclidean clusters (0.7 m, 10–1000) match pcl_cluster_extraction by point overlap`, () => {
      const reason = skipReason();
      if (reason) {
        console.warn(reason);
        return;
      }
      const { dir, cleanup } = scratchDir();
      try {
        const cloud = readKittiBin(readFileSync(kittiFile('velodyne', frame)));
        const vox = voxelGrid(cloud, { leafX: 0.3, leafY: 0.3, leafZ: 0.1 }).cloud;
        savePcd(dir, 'vox.pcd', vox);
        runPcl('pcl_cluster_extraction', ['vox.pcd', 'c.pcd', '-tolerance', '0.7', '-min', '10', '-max', '1000'], dir);
        const files = readdirSync(dir).filter((f) => /^c\d+\.pcd$/.test(f));
        const ours = euclideanClusters(vox, { tolerance: 0.7, minSize: 10, maxSize: 1000 });
        expect(files.length).toBeGreaterThan(10);
        expect(ours.count).toBe(files.length);
        const tree = new KdTree(vox);
        let worstIoU = 1;
        for (const f of files) {
          const theirs = matchPoints(loadPcd(path.join(dir, f)), vox, tree);
          // Our cluster holding most of their points, and the overlap as IoU.
          const votes = new Map<number, number>();
          for (const j of theirs) {
            const label = j >= 0 ? (ours.labelOfPoint[j] ?? -1) : -1;
            votes.set(label, (votes.get(label) ?? 0) + 1);
          }
          const [label, overlap] = [...votes.entries()].sort((p, q) => q[1] - p[1])[0] ?? [-1, 0];
          const ourSize = label >= 0 ? (ours.start[label + 1] ?? 0) - (ours.start[label] ?? 0) : 0;
          const iou = label >= 0 ? overlap / (theirs.length + ourSize - overlap) : 0;
          worstIoU = Math.min(worstIoU, iou);
        }
        console.info(`frame ${frame}: ${files.length} clusters, worst IoU with PCL ${worstIoU.toFixed(4)}`);
        expect(worstIoU).toBeGreaterThanOrEqual(0.99);
      } finally {
        cleanup();
      }
    });
  }
});
