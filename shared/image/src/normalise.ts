import type { LetterboxGeometry } from './letterbox.js';
import type { RgbImage } from './decode.js';

/** How a model wants its input tensor, as in the model card: value = (pixel * scale - mean[c]) / std[c]. */
export interface NormaliseOptions {
  /** Pixel multiplier before mean/std (1/255 for most YOLO exports). */
  readonly scale: number;
  /** Per-channel mean, in the model's channel order. */
  readonly mean: readonly [number, number, number];
  /** Per-channel standard deviation, in the model's channel order. */
  readonly std: readonly [number, number, number];
  readonly channelOrder: 'rgb' | 'bgr';
}

/**
 * Packed RGB → planar NCHW float32 [1, 3, H, W]. Pass `out` to reuse one buffer per frame;
 * one multiply-add per value (the division is folded into per-channel factors).
 */
export function normaliseToTensor(image: RgbImage, options: NormaliseOptions, out?: Float32Array): Float32Array {
  const plane = image.width * image.height;
  const tensor = out ?? new Float32Array(3 * plane);
  if (tensor.length !== 3 * plane) throw new RangeError(`tensor buffer holds ${String(tensor.length)} values, expected ${String(3 * plane)}`);
  const src = image.data;
  for (let c = 0; c < 3; c++) {
    const srcChannel = options.channelOrder === 'rgb' ? c : 2 - c;
    const mul = options.scale / options.std[c as 0 | 1 | 2];
    const add = -options.mean[c as 0 | 1 | 2] / options.std[c as 0 | 1 | 2];
    const base = c * plane;
    for (let i = 0, s = srcChannel; i < plane; i++, s += 3) tensor[base + i] = (src[s] ?? 0) * mul + add;
  }
  return tensor;
}

/**
 * The letterbox and the normalisation in one pass: `content` (the resized source, newWidth x
 * newHeight) is written at (padLeft, padTop) of a targetWidth x targetHeight NCHW float32 tensor,
 * the rest is the normalised `padValue`. Equal to normaliseToTensor(letterbox(...).image) without
 * the padded intermediate image.
 */
export function normaliseLetterboxed(content: RgbImage, geometry: LetterboxGeometry, padValue: number, options: NormaliseOptions, out?: Float32Array): Float32Array {
  const { targetWidth: tw, targetHeight: th, padLeft, padTop } = geometry;
  const plane = tw * th;
  const tensor = out ?? new Float32Array(3 * plane);
  if (tensor.length !== 3 * plane) throw new RangeError(`tensor buffer holds ${String(tensor.length)} values, expected ${String(3 * plane)}`);
  if (content.width + padLeft > tw || content.height + padTop > th) {
    throw new RangeError(`content ${String(content.width)}x${String(content.height)} at (${String(padLeft)}, ${String(padTop)}) does not fit ${String(tw)}x${String(th)}`);
  }
  const src = content.data;
  const w = content.width;
  const h = content.height;
  const order = options.channelOrder === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const mul: number[] = [];
  const add: number[] = [];
  for (let c = 0; c < 3; c++) {
    const std = options.std[c as 0 | 1 | 2];
    mul.push(options.scale / std);
    add.push(-options.mean[c as 0 | 1 | 2] / std);
    // Padding only where no content goes: the rows above and below, the columns left and right.
    const base = c * plane;
    const pad = padValue * (mul[c] as number) + (add[c] as number);
    tensor.fill(pad, base, base + padTop * tw);
    tensor.fill(pad, base + (padTop + h) * tw, base + plane);
    for (let y = 0; y < h; y++) {
      const row = base + (y + padTop) * tw;
      tensor.fill(pad, row, row + padLeft);
      tensor.fill(pad, row + padLeft + w, row + tw);
    }
  }
  // One pass over the interleaved pixels writes all three planes (same double expression as normaliseToTensor).
  const m0 = mul[0] as number;
  const m1 = mul[1] as number;
  const m2 = mul[2] as number;
  const a0 = add[0] as number;
  const a1 = add[1] as number;
  const a2 = add[2] as number;
  const s0 = order[0] as number;
  const s1 = order[1] as number;
  const s2 = order[2] as number;
  for (let y = 0; y < h; y++) {
    let d = (y + padTop) * tw + padLeft;
    for (let x = 0, s = y * w * 3; x < w; x++, s += 3, d++) {
      tensor[d] = (src[s + s0] as number) * m0 + a0;
      tensor[plane + d] = (src[s + s1] as number) * m1 + a1;
      tensor[2 * plane + d] = (src[s + s2] as number) * m2 + a2;
    }
  }
  return tensor;
}
