import type { Box } from '@sensorfuse/image';
import { DetectorOutputShapeError } from './errors.js';

/**
 * Output layouts of common exported detectors:
 * - `yolo`: YOLOv8/YOLO11 raw head `[1, 4+C, N]` (cx, cy, w, h, then C class scores per anchor;
 *   `[1, N, 4+C]` is accepted too), decoded here with class-wise NMS;
 * - `nms-n6`: post-NMS rows `[N, 6]` or `[1, N, 6]` of x1, y1, x2, y2, score, class (Ultralytics end-to-end / YOLOv10);
 * - `nms-1n7`: post-NMS rows `[1, N, 7]` or `[N, 7]` of batch, x1, y1, x2, y2, class, score (YOLOv7 `--end2end`).
 * Coordinates are model-input pixels; map them back with `boxFromLetterbox`.
 */
export type DetectorOutputLayout = 'yolo' | 'nms-n6' | 'nms-1n7';

export interface RawDetection {
  readonly box: Box;
  readonly classIndex: number;
  readonly score: number;
}

export interface DecodeDetectionsOptions {
  readonly layout: DetectorOutputLayout;
  readonly numClasses: number;
  /** Detections below this score are dropped. */
  readonly scoreThreshold: number;
  /** Same-class boxes overlapping a better one by more than this IoU are suppressed (yolo layout). */
  readonly iouThreshold: number;
  /** At most this many detections, highest score first. */
  readonly maxDetections: number;
}

export interface OutputTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
  const ih = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.xMax - a.xMin) * (a.yMax - a.yMin) + (b.xMax - b.xMin) * (b.yMax - b.yMin) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy NMS within each class (as torchvision's batched_nms); input in any order, output by score. */
export function nmsByClass(candidates: readonly RawDetection[], iouThreshold: number, maxDetections: number): RawDetection[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: RawDetection[] = [];
  for (const c of sorted) {
    if (kept.length >= maxDetections) break;
    if (kept.some((k) => k.classIndex === c.classIndex && iou(k.box, c.box) > iouThreshold)) continue;
    kept.push(c);
  }
  return kept;
}

function shapeText(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}

/** Check a layout against an output shape; a mismatch names the expected and the found shape. */
export function checkOutputShape(dims: readonly (number | string)[], layout: DetectorOutputLayout, numClasses: number, model = 'detector'): void {
  const fixed = dims.map((d) => (typeof d === 'number' ? d : -1));
  const last = fixed[fixed.length - 1];
  let ok: boolean;
  if (layout === 'yolo') ok = fixed.length === 3 && fixed[0] !== 0 && (fixed[1] === 4 + numClasses || last === 4 + numClasses);
  else if (layout === 'nms-n6') ok = (fixed.length === 2 || fixed.length === 3) && last === 6;
  else ok = (fixed.length === 2 || fixed.length === 3) && last === 7;
  if (!ok) {
    const expected = layout === 'yolo' ? `[1, ${String(4 + numClasses)}, N] (4 box values + ${String(numClasses)} classes)` : layout === 'nms-n6' ? '[N, 6] or [1, N, 6]' : '[1, N, 7] or [N, 7]';
    throw new DetectorOutputShapeError(`model ${model}: output layout ${layout} expects ${expected}, the model gives [${dims.join(', ')}]`, {
      model,
      shape: `[${dims.join(', ')}]`,
    });
  }
}

function decodeYolo(out: OutputTensor, o: DecodeDetectionsOptions): RawDetection[] {
  const stride = 4 + o.numClasses;
  const channelFirst = out.dims[1] === stride;
  const n = (channelFirst ? out.dims[2] : out.dims[1]) ?? 0;
  const d = out.data;
  // channel-first: value(k, i) = d[k * n + i]; row-major: d[i * stride + k]
  const at = channelFirst ? (k: number, i: number): number => d[k * n + i] ?? 0 : (k: number, i: number): number => d[i * stride + k] ?? 0;
  const candidates: RawDetection[] = [];
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestScore = -Infinity;
    for (let c = 0; c < o.numClasses; c++) {
      const s = at(4 + c, i);
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    if (bestScore < o.scoreThreshold) continue;
    const cx = at(0, i);
    const cy = at(1, i);
    const w = at(2, i);
    const h = at(3, i);
    candidates.push({ box: { xMin: cx - w / 2, yMin: cy - h / 2, xMax: cx + w / 2, yMax: cy + h / 2 }, classIndex: best, score: bestScore });
  }
  return nmsByClass(candidates, o.iouThreshold, o.maxDetections);
}

function decodeRows(out: OutputTensor, o: DecodeDetectionsOptions): RawDetection[] {
  const width = o.layout === 'nms-n6' ? 6 : 7;
  const rows = Math.floor(out.data.length / width);
  const d = out.data;
  const result: RawDetection[] = [];
  for (let r = 0; r < rows; r++) {
    const b = r * width;
    const off = width === 7 ? 1 : 0; // YOLOv7 rows start with the batch index
    const score = (width === 7 ? d[b + 6] : d[b + 4]) ?? 0;
    const cls = Math.round(d[b + 5] ?? -1); // class is column 5 in both layouts
    if (score < o.scoreThreshold || cls < 0 || cls >= o.numClasses) continue;
    result.push({ box: { xMin: d[b + off] ?? 0, yMin: d[b + off + 1] ?? 0, xMax: d[b + off + 2] ?? 0, yMax: d[b + off + 3] ?? 0 }, classIndex: cls, score });
  }
  result.sort((a, b) => b.score - a.score);
  return result.slice(0, o.maxDetections);
}

/** Decode one output tensor of the configured layout into boxes in model-input pixels, best first. */
export function decodeDetections(out: OutputTensor, options: DecodeDetectionsOptions): RawDetection[] {
  checkOutputShape(out.dims, options.layout, options.numClasses);
  let expected = 1;
  for (const d of out.dims) expected *= d;
  if (out.data.length !== expected) {
    throw new DetectorOutputShapeError(`detector output ${shapeText(out.dims)} needs ${String(expected)} values, found ${String(out.data.length)}`);
  }
  return options.layout === 'yolo' ? decodeYolo(out, options) : decodeRows(out, options);
}
