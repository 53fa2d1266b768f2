import { boxFromLetterbox, letterboxGeometry } from '@sensorfuse/image';
import { describe, expect, it } from 'vitest';
import { checkOutputShape, decodeDetections, iou } from './decode-detections.js';
import { DetectorOutputShapeError } from './errors.js';

const opts = { numClasses: 2, scoreThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100 };

/** [1, 4+C, N] channel-first from per-anchor rows [cx, cy, w, h, s0, s1]. */
function yoloTensor(anchors: number[][]): { dims: number[]; data: Float32Array } {
  const n = anchors.length;
  const data = new Float32Array(6 * n);
  anchors.forEach((a, i) => {
    a.forEach((v, k) => {
      data[k * n + i] = v;
    });
  });
  return { dims: [1, 6, n], data };
}

describe('decodeDetections', () => {
  it('yolo [1, 4+C, N]: picks the best class, drops low scores, suppresses same-class overlaps only', () => {
    const out = yoloTensor([
      [100, 100, 40, 20, 0.9, 0.1], // A: class 0, box 80..120 x 90..110
      [102, 100, 40, 20, 0.8, 0.05], // B: class 0, IoU with A = 38*20 / (2*800 - 760) = 760/840 = 0.905 → suppressed
      [102, 100, 40, 20, 0.1, 0.7], // C: same place but class 1 → kept (class-wise NMS)
      [300, 50, 10, 10, 0.2, 0.24], // D: best score 0.24 < 0.25 → dropped
      [140, 100, 40, 20, 0.6, 0.0], // E: class 0, 120..160: touches A, IoU 0 → kept
    ]);
    const dets = decodeDetections(out, { ...opts, layout: 'yolo' });
    expect(dets.map((d) => [d.classIndex, Number(d.score.toFixed(2))])).toEqual([
      [0, 0.9],
      [1, 0.7],
      [0, 0.6],
    ]);
    expect(dets[0]?.box).toEqual({ xMin: 80, yMin: 90, xMax: 120, yMax: 110 });
    expect(dets[1]?.box).toEqual({ xMin: 82, yMin: 90, xMax: 122, yMax: 110 });
    expect(iou({ xMin: 80, yMin: 90, xMax: 120, yMax: 110 }, { xMin: 82, yMin: 90, xMax: 122, yMax: 110 })).toBeCloseTo(760 / 840, 12);
  });

  it('yolo [1, N, 4+C] (transposed export) gives the same boxes', () => {
    const rows = [
      [100, 100, 40, 20, 0.9, 0.1],
      [140, 100, 40, 20, 0.6, 0.0],
    ];
    const dets = decodeDetections({ dims: [1, 2, 6], data: Float32Array.from(rows.flat()) }, { ...opts, layout: 'yolo' });
    expect(dets.map((d) => d.box.xMin)).toEqual([80, 120]);
  });

  it('nms-n6 [N, 6] rows x1 y1 x2 y2 score class, sorted by score and thresholded', () => {
    const data = Float32Array.from([10, 20, 30, 40, 0.5, 1, 50, 60, 70, 80, 0.75, 0, 1, 1, 2, 2, 0.1, 0]);
    const dets = decodeDetections({ dims: [3, 6], data }, { ...opts, layout: 'nms-n6' });
    expect(dets).toEqual([
      { box: { xMin: 50, yMin: 60, xMax: 70, yMax: 80 }, classIndex: 0, score: 0.75 },
      { box: { xMin: 10, yMin: 20, xMax: 30, yMax: 40 }, classIndex: 1, score: 0.5 },
    ]);
  });

  it('nms-1n7 [1, N, 7] rows batch x1 y1 x2 y2 class score, mapped back through the letterbox to source pixels', () => {
    const data = Float32Array.from([0, 10, 60, 110, 100, 1, 0.875]);
    const [det] = decodeDetections({ dims: [1, 1, 7], data }, { ...opts, layout: 'nms-1n7' });
    expect(det).toEqual({ box: { xMin: 10, yMin: 60, xMax: 110, yMax: 100 }, classIndex: 1, score: 0.875 });
    // 640x384 source into 320x192: scale exactly 0.5, no pad → source box = 2 x model box.
    const g = letterboxGeometry(640, 384, 320, 192);
    expect(boxFromLetterbox(det?.box ?? { xMin: 0, yMin: 0, xMax: 0, yMax: 0 }, g)).toEqual({ xMin: 20, yMin: 120, xMax: 220, yMax: 200 });
    // 1242x375 into 320x192: x scale 320/1242, y scale 97/375, pad top 47 → y = (60 − 47) * 375 / 97
    const k = letterboxGeometry(1242, 375, 320, 192);
    const back = boxFromLetterbox(det?.box ?? { xMin: 0, yMin: 0, xMax: 0, yMax: 0 }, k);
    expect(back.xMin).toBeCloseTo((10 * 1242) / 320, 9);
    expect(back.yMin).toBeCloseTo((13 * 375) / 97, 9);
    expect(back.yMax).toBeCloseTo((53 * 375) / 97, 9);
  });

  it('rejects an output whose shape does not fit the layout, naming both shapes', () => {
    expect(() => {
      checkOutputShape([1, 84, 8400], 'yolo', 5, 'yolo11n');
    }).toThrow(/model yolo11n: output layout yolo expects \[1, 9, N\].*gives \[1, 84, 8400\]/);
    expect(() => decodeDetections({ dims: [1, 5, 6], data: new Float32Array(30) }, { ...opts, layout: 'nms-1n7' })).toThrow(DetectorOutputShapeError);
    expect(() => decodeDetections({ dims: [1, 6, 4], data: new Float32Array(23) }, { ...opts, layout: 'yolo' })).toThrow(/needs 24 values, found 23/);
  });
});
