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
 * The NCHW tensor of a letterbox (a w x h content at (padLeft, padTop) of tw x th) with only its padding
 * written (the normalised `padValue`: the rows above and below, the columns left and right of the
 * content), and the per-channel factors value = pixel * mul[c] + add[c] for the caller's content pass.
 */
function paddedTensor(
  tw: number,
  th: number,
  padLeft: number,
  padTop: number,
  w: number,
  h: number,
  padValue: number,
  options: NormaliseOptions,
  out: Float32Array | undefined,
): { tensor: Float32Array; mul: number[]; add: number[] } {
  const plane = tw * th;
  const tensor = out ?? new Float32Array(3 * plane);
  if (tensor.length !== 3 * plane) throw new RangeError(`tensor buffer holds ${String(tensor.length)} values, expected ${String(3 * plane)}`);
  if (w + padLeft > tw || h + padTop > th) {
    throw new RangeError(`content ${String(w)}x${String(h)} at (${String(padLeft)}, ${String(padTop)}) does not fit ${String(tw)}x${String(th)}`);
  }
  const mul: number[] = [];
  const add: number[] = [];
  for (let c = 0; c < 3; c++) {
    const std = options.std[c as 0 | 1 | 2];
    mul.push(options.scale / std);
    add.push(-options.mean[c as 0 | 1 | 2] / std);
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
  return { tensor, mul, add };
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
  const src = content.data;
  const w = content.width;
  const h = content.height;
  const { tensor, mul, add } = paddedTensor(tw, th, padLeft, padTop, w, h, padValue, options, out);
  const order = options.channelOrder === 'rgb' ? [0, 1, 2] : [2, 1, 0];
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

/** Reusable vertical-pass row for normaliseLetterboxedHalved (4-byte aligned for its 32-bit view), grown on demand. */
let halfRow = new Uint8Array(0);
let halfRow32 = new Uint32Array(0);

/**
 * The letterbox of a source exactly twice the content size (newWidth = sourceWidth / 2, newHeight =
 * sourceHeight / 2), its factor-2 resize and the normalisation in one pass over the full-resolution
 * RGB: the very pixels of libvips' `resize(…, { kernel: 'linear' })` at scale 1/2 (what
 * `decodeResized` gives), i.e. its reduce with the 4-tap [1 3 3 1] / 8 mask (libvips: 12-bit fixed
 * point, 512·(a + d) + 1536·(b + c) + 2048 >> 12, which is (a + d + 3(b + c) + 4) >> 3), vertical pass
 * first (rounded to 8 bits), then horizontal, edges repeated — checked to the bit against sharp —
 * without the second libvips pipeline (~1 ms of fixed cost per sharp call on this machine). The
 * vertical pass works on four bytes at a time (two 16-bit lanes for the even and the odd bytes of a
 * 32-bit word; a lane sum is at most 2044) when the rows are 4-byte aligned.
 */
export function normaliseLetterboxedHalved(source: RgbImage, geometry: LetterboxGeometry, padValue: number, options: NormaliseOptions, out?: Float32Array): Float32Array {
  const { targetWidth: tw, targetHeight: th, padLeft, padTop, newWidth: w, newHeight: h } = geometry;
  const W = source.width;
  const H = source.height;
  if (W !== 2 * w || H !== 2 * h) throw new RangeError(`source ${String(W)}x${String(H)} is not twice the content ${String(w)}x${String(h)}`);
  const plane = tw * th;
  const { tensor, mul, add } = paddedTensor(tw, th, padLeft, padTop, w, h, padValue, options, out);
  const bgr = options.channelOrder === 'bgr';
  const src = source.data;
  const rowBytes = 3 * W;
  const words = rowBytes >> 2;
  if (halfRow.length < rowBytes + 8) {
    halfRow32 = new Uint32Array(((rowBytes + 3) >> 2) + 2);
    halfRow = new Uint8Array(halfRow32.buffer);
  }
  const v = halfRow;
  const v32 = halfRow32;
  const swar = rowBytes % 4 === 0 && src.byteOffset % 4 === 0;
  const s32 = swar ? new Uint32Array(src.buffer, src.byteOffset, (H * rowBytes) >> 2) : undefined;
  const M = 0x00ff00ff;
  for (let y = 0; y < h; y++) {
    // Vertical [1 3 3 1] over source rows 2y-1 .. 2y+2 (clamped), rounded to 8 bits as libvips does.
    const y0 = Math.max(0, 2 * y - 1);
    const y3 = Math.min(H - 1, 2 * y + 2);
    if (s32 !== undefined) {
      const r0 = y0 * words;
      const r1 = 2 * y * words;
      const r2 = r1 + words;
      const r3 = y3 * words;
      for (let k = 0; k < words; k++) {
        const a = s32[r0 + k] as number;
        const b = s32[r1 + k] as number;
        const c = s32[r2 + k] as number;
        const d = s32[r3 + k] as number;
        const lo = (a & M) + (d & M) + 3 * ((b & M) + (c & M)) + 0x00040004;
        const hi = ((a >>> 8) & M) + ((d >>> 8) & M) + 3 * (((b >>> 8) & M) + ((c >>> 8) & M)) + 0x00040004;
        v32[k] = ((lo >>> 3) & M) | (((hi >>> 3) & M) << 8);
      }
    } else {
      const r0 = y0 * rowBytes;
      const r1 = 2 * y * rowBytes;
      const r2 = r1 + rowBytes;
      const r3 = y3 * rowBytes;
      for (let i = 0; i < rowBytes; i++) {
        v[i] = ((src[r0 + i] as number) + (src[r3 + i] as number) + 3 * ((src[r1 + i] as number) + (src[r2 + i] as number)) + 4) >> 3;
      }
    }
    // Horizontal [1 3 3 1] over columns 2x-1 .. 2x+2 (clamped at both ends), straight to the channel's plane.
    const row = (y + padTop) * tw + padLeft;
    for (let k = 0; k < 3; k++) {
      // Source channel k (R, G, B) goes to plane k, or 2 - k for BGR models.
      const c = bgr ? 2 - k : k;
      const m = mul[c] as number;
      const a = add[c] as number;
      const base = c * plane + row;
      if (w === 1) {
        tensor[base] = (((v[k] as number) + (v[k + 3] as number) + 3 * ((v[k] as number) + (v[k + 3] as number)) + 4) >> 3) * m + a;
        continue;
      }
      tensor[base] = (((v[k] as number) + (v[k + 6] as number) + 3 * ((v[k] as number) + (v[k + 3] as number)) + 4) >> 3) * m + a;
      const e = 6 * (w - 1) + k;
      tensor[base + w - 1] = (((v[e - 3] as number) + (v[e + 3] as number) + 3 * ((v[e] as number) + (v[e + 3] as number)) + 4) >> 3) * m + a;
      // Output x reads columns 2x-1 .. 2x+2; the last two are the next output's first two: two loads per output.
      let p1 = v[k + 3] as number; // column 2x-1 for x = 1
      let p2 = v[k + 6] as number; // column 2x
      for (let x = 1, s = 9 + k; x < w - 1; x++, s += 6) {
        const p3 = v[s] as number; // column 2x+1
        const p4 = v[s + 3] as number; // column 2x+2
        tensor[base + x] = ((p1 + p4 + 3 * (p2 + p3) + 4) >> 3) * m + a;
        p1 = p3;
        p2 = p4;
      }
    }
  }
  return tensor;
}
