import { describe, expect, it } from 'vitest';
import { PAINT_CHANNELS, PAINT_CLASSES } from './painting.js';
import { paintedClusterScore } from './early-strategy.js';

const scores = (entries: Record<string, number>) => {
  const s = new Float32Array(PAINT_CHANNELS);
  for (const [c, v] of Object.entries(entries)) s[PAINT_CLASSES.indexOf(c as (typeof PAINT_CLASSES)[number])] = v;
  return s;
};
const fusion = { lidarOnlyConfidence: 0.6, lidarFullPoints: 50 };
// A 4.2 × 1.8 × 1.5 m box: a vehicle by shape (car); 0.5 × 0.5 × 1.7 m: a pedestrian.
const carBox = { length: 4.2, width: 1.8, height: 1.5 };
const pedBox = { length: 0.5, width: 0.5, height: 1.7 };

describe('early fusion: class and score of a painted cluster', () => {
  it('takes the best class of the paint averaged over the cluster\'s in-image points', () => {
    // Half the points in the image; the car paint 0.45 averaged over all points is 0.9 over the in-image ones.
    const r = paintedClusterScore({ ...carBox, meanScores: scores({ car: 0.45, truck: 0.1 }), inImageFraction: 0.5, points: 80 }, 0.9, 1, fusion);
    expect(r.objectClass).toBe('car');
    expect(r.score).toBeCloseTo(0.9, 6);
  });

  it('treats a cluster the camera saw but did not paint as background: LIDAR score × (1 − 0.95 · reliability · seen)', () => {
    // 0.6 × √(50/50) × 1 × (1 − 0.95 · 0.9 · 0.8) = 0.6 × 0.316 = 0.1896
    const r = paintedClusterScore({ ...carBox, meanScores: scores({}), inImageFraction: 0.8, points: 50 }, 0.9, 1, fusion);
    expect(r.objectClass).toBe('car');
    expect(r.score).toBeCloseTo(0.1896, 6);
  });

  it('keeps the LIDAR-only score and the shape\'s class outside every image', () => {
    // 0.6 × √(25/50) × 0.5 = 0.212132
    const r = paintedClusterScore({ ...pedBox, meanScores: scores({}), inImageFraction: 0, points: 25 }, 0.9, 0.5, fusion);
    expect(r.objectClass).toBe('pedestrian');
    expect(r.score).toBeCloseTo(0.212132, 5);
  });

  it('ignores paint too faint to classify (below minPaint over the in-image points)', () => {
    // 0.02 / 0.5 = 0.04 < 0.1: background rule with seen 0.5 → 0.6 × 1 × (1 − 0.95 · 1 · 0.5) = 0.315
    const r = paintedClusterScore({ ...carBox, meanScores: scores({ pedestrian: 0.02 }), inImageFraction: 0.5, points: 60 }, 1, 1, fusion);
    expect(r.objectClass).toBe('car');
    expect(r.score).toBeCloseTo(0.315, 6);
  });
});
