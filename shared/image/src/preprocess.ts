import { decodeImage, decodeResized, type EncodedImage } from './decode.js';
import { denoiseIfNoisy } from './denoise.js';
import { letterboxGeometry, type LetterboxGeometry } from './letterbox.js';
import { normaliseLetterboxed, type NormaliseOptions } from './normalise.js';
import { measureQualitySampled, type ImageQualityReport, type QualityOptions } from './quality.js';

/** Everything that turns one encoded frame into a model input tensor plus its quality. */
export interface PreprocessOptions {
  readonly maxPixels: number;
  /** Model input size and letterbox padding grey level. */
  readonly width: number;
  readonly height: number;
  readonly padValue: number;
  readonly normalise: NormaliseOptions;
  readonly quality: QualityOptions;
  readonly denoise: { readonly mode: 'auto' | 'off'; readonly noiseSigmaThreshold: number; readonly medianSize: number };
}

export interface PreprocessResult {
  /** Source image size (after decoding). */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly geometry: LetterboxGeometry;
  readonly quality: ImageQualityReport;
  /** The low-light median filter ran on this frame. */
  readonly denoised: boolean;
  /** Planar NCHW float32 [1, 3, height, width]: `out` when given, else a new array. */
  readonly tensor: Float32Array;
}

/**
 * decode (sharp) → quality at full resolution, on every `quality.sampleRowStep`-th row, straight
 * from the RGB (one JavaScript pass, no grey image) → a median (sharp) when the measured noise calls
 * for it → resize to the letterbox content (sharp, bilinear) → padding and normalisation in one pass
 * into the NCHW tensor. The same steps whether it runs on the caller's thread or in an
 * ImagePreprocessor worker thread (which is how the camera worker runs it).
 */
export async function preprocessFrame(image: EncodedImage, options: PreprocessOptions, out?: Float32Array): Promise<PreprocessResult> {
  const decodeOptions = { maxPixels: options.maxPixels };
  const decoded = await decodeImage(image, decodeOptions);
  const quality = measureQualitySampled(decoded.data, decoded.width, decoded.height, options.quality, options.quality.sampleRowStep ?? 1);
  let source = decoded;
  let denoised = false;
  if (options.denoise.mode === 'auto') {
    const d = await denoiseIfNoisy(decoded, quality.noiseSigma, options.denoise);
    denoised = d.applied;
    source = d.image;
  }
  const geometry = letterboxGeometry(source.width, source.height, options.width, options.height);
  const raw: EncodedImage = { width: source.width, height: source.height, encoding: 'rgb8', stride: 3 * source.width, data: source.data };
  const content = await decodeResized(raw, decodeOptions, { width: geometry.newWidth, height: geometry.newHeight });
  const tensor = normaliseLetterboxed(content, geometry, options.padValue, options.normalise, out);
  return { sourceWidth: decoded.width, sourceHeight: decoded.height, geometry, quality, denoised, tensor };
}
