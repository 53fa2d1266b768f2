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
  for (let c = 0; c < 3; c++) {
    const srcChannel = options.channelOrder === 'rgb' ? c : 2 - c;
    const mul = options.scale / options.std[c as 0 | 1 | 2];
    const add = -options.mean[c as 0 | 1 | 2] / options.std[c as 0 | 1 | 2];
    const base = c * plane;
    // Float32 rounding of the same double expression as normaliseToTensor, so both agree exactly.
    tensor.fill(padValue * mul + add, base, base + plane);
    for (let y = 0; y < content.height; y++) {
      let d = base + (y + padTop) * tw + padLeft;
      for (let x = 0, s = y * w * 3 + srcChannel; x < w; x++, s += 3, d++) tensor[d] = (src[s] as number) * mul + add;
    }
  }
  return tensor;
}
