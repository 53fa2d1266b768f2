import sharp from 'sharp';
import type { RgbImage } from './decode.js';

export interface DenoiseOptions {
  /** Denoise only when the measured noise sigma (grey levels) is at least this. */
  readonly noiseSigmaThreshold: number;
  /** Median window side (odd, ≥ 3). */
  readonly medianSize: number;
}

/**
 * Low-light denoise: a median filter, applied only when the measured noise level calls for it
 * (a median on a clean frame only costs time and softens edges). Returns the input unchanged otherwise.
 */
export async function denoiseIfNoisy(image: RgbImage, noiseSigma: number, options: DenoiseOptions): Promise<{ image: RgbImage; applied: boolean }> {
  if (noiseSigma < options.noiseSigmaThreshold) return { image, applied: false };
  const buf = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .median(options.medianSize)
    .raw()
    .toBuffer();
  return { image: { width: image.width, height: image.height, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) }, applied: true };
}
