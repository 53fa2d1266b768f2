import { decodeImage, toGray, type EncodedImage } from './decode.js';
import { denoiseIfNoisy } from './denoise.js';
import { letterbox, type LetterboxGeometry } from './letterbox.js';
import { normaliseToTensor, type NormaliseOptions } from './normalise.js';
import { measureQuality, type ImageQualityReport, type QualityOptions } from './quality.js';

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
 * decode → grey → quality (full resolution) → median when the measured noise calls for it →
 * letterbox → normalise. The same steps whether it runs on the caller's thread or in an
 * ImagePreprocessor worker thread (which is how the camera worker runs it).
 */
export async function preprocessFrame(image: EncodedImage, options: PreprocessOptions, out?: Float32Array): Promise<PreprocessResult> {
  const decoded = await decodeImage(image, { maxPixels: options.maxPixels });
  const quality = measureQuality(toGray(decoded), decoded.width, decoded.height, options.quality);
  let source = decoded;
  let denoised = false;
  if (options.denoise.mode === 'auto') {
    const d = await denoiseIfNoisy(decoded, quality.noiseSigma, options.denoise);
    denoised = d.applied;
    source = d.image;
  }
  const { image: boxed, geometry } = await letterbox(source, { width: options.width, height: options.height, padValue: options.padValue });
  const tensor = normaliseToTensor(boxed, options.normalise, out);
  return { sourceWidth: decoded.width, sourceHeight: decoded.height, geometry, quality, denoised, tensor };
}
