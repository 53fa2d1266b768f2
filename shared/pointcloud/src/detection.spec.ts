import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processScan } from './chain.js';
import { countPointsInLabel, labelCenterVelo, parseKittiCalib, parseKittiLabels } from './kitti.js';
import { readKittiBin } from './readers.js';
import { KITTI_FRAMES, hasKitti, kittiFile } from './pcl-peer.testutil.js';

const CLASSES = new Set(['Car', 'Van', 'Truck', 'Pedestrian', 'Cyclist']);
const MAX_RANGE_M = 40;
const MIN_POINTS = 50;
const MATCH_M = 1;

describe('real-data detection check on KITTI (labels and calibration from the dataset)', () => {
  it('every labelled object within 40 m with ≥ 50 LIDAR points has a cluster box centre within 1 m', () => {
    if (!hasKitti) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    let qualifying = 0;
    let matched = 0;
    let clusters = 0;
    let unmatchedClusters = 0;
    let unmatchedInCameraView = 0;
    const lines: string[] = [];
    for (const frame of KITTI_FRAMES) {
      const cloud = readKittiBin(readFileSync(kittiFile('velodyne', frame)));
      const calib = parseKittiCalib(readFileSync(kittiFile('calib', frame), 'utf8'));
      const labels = parseKittiLabels(readFileSync(kittiFile('label_2', frame), 'utf8')).filter((l) => CLASSES.has(l.type));
      const result = processScan(cloud);
      clusters += result.objects.length;
      const centres = labels.map((l) => labelCenterVelo(calib, l));
      for (const [k, label] of labels.entries()) {
        const [cx, cy, cz] = centres[k] ?? [0, 0, 0];
        const range = Math.hypot(cx, cy);
        const points = countPointsInLabel(calib, label, cloud);
        let nearest = Infinity;
        for (const o of result.objects) nearest = Math.min(nearest, Math.hypot(o.centerX - cx, o.centerY - cy, o.centerZ - cz));
        lines.push(`${frame} ${label.type} range ${range.toFixed(1)} m, ${points} pts, nearest box centre ${nearest.toFixed(2)} m`);
        if (range > MAX_RANGE_M || points < MIN_POINTS) continue;
        qualifying++;
        if (nearest <= MATCH_M) matched++;
      }
      for (const o of result.objects) {
        const hit = centres.some(([cx, cy, cz]) => Math.hypot(o.centerX - cx, o.centerY - cy, o.centerZ - cz) <= MATCH_M);
        if (hit) continue;
        unmatchedClusters++;
        // KITTI labels only cover the front camera's ~90° field of view.
        if (o.centerX > 0 && Math.abs(Math.atan2(o.centerY, o.centerX)) < Math.PI / 4) unmatchedInCameraView++;
      }
    }
    const recall = qualifying > 0 ? matched / qualifying : Number.NaN;
    console.info(
      [
        ...lines,
        `qualifying labels ${qualifying}, matched ${matched}, recall ${recall.toFixed(3)}; ` +
          `clusters ${clusters}, matching no label ${unmatchedClusters} (${unmatchedInCameraView} inside the camera view)`,
      ].join('\n'),
    );
    expect(qualifying).toBeGreaterThan(0);
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });
});
