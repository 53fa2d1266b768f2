import { decodeImage, decodeResized, type EncodedImage } from './decode.js';
import { denoiseIfNoisy } from './denoise.js';
import { letterboxGeometry, type LetterboxGeometry } from './letterbox.js';
import { normaliseLetterboxed, normaliseLetterboxedHalved, type NormaliseOptions } from './normalise.js';
import { measureQualitySampled, type ImageQualityReport, type QualityOptions } from './quality.js';
import type { FrameTag, QualitySchedule } from './quality-schedule.js';

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
  /** Measured on this frame, or its camera's last report (see qualityAgeUs). */
  readonly quality: ImageQualityReport;
  /** Capture-time age of `quality`: 0 when measured on this frame, else how much older the measured frame is, µs. */
  readonly qualityAgeUs: number;
  /** The low-light median filter ran on this frame. */
  readonly denoised: boolean;
  /** Planar NCHW float32 [1, 3, height, width]: `out` when given, else a new array. */
  readonly tensor: Float32Array;
}

/** Which frame this is and the schedule that decides whether its quality is measured (absent: every frame). */
export interface PreprocessCadence {
  readonly frame: FrameTag;
  readonly schedule: QualitySchedule;
}

/**
 * decode (sharp) → quality at full resolution, on every `quality.sampleRowStep`-th row, straight
 * from the RGB (one JavaScript pass, no grey image), or the camera's last report when `cadence` says
 * it is fresh enough → a median (sharp) when the (last) measured noise calls for it → the letterbox
 * and normalisation into the NCHW tensor: in one pass from the decoded pixels when the model input is
 * the source size (identity letterbox: no resize, no copy) or exactly half of it (the factor-2 reduce
 * of libvips done in the same pass, `normaliseLetterboxedHalved`), else resize by sharp (bilinear)
 * then padding and normalisation in one pass. The same steps whether it runs on the caller's thread
 * or in an ImagePreprocessor worker thread (which is how the camera worker runs it).
 */
export async function preprocessFrame(image: EncodedImage, options: PreprocessOptions, out?: Float32Array, cadence?: PreprocessCadence): Promise<PreprocessResult> {
  const decodeOptions = { maxPixels: options.maxPixels };
  const decoded = await decodeImage(image, decodeOptions);
  const reused = cadence?.schedule.reusable(cadence.frame);
  let quality: ImageQualityReport;
  if (reused === undefined) {
    quality = measureQualitySampled(decoded.data, decoded.width, decoded.height, options.quality, options.quality.sampleRowStep ?? 1);
    cadence?.schedule.measured(cadence.frame, quality);
  } else {
    quality = reused.report;
  }
  let source = decoded;
  let denoised = false;
  if (options.denoise.mode === 'auto') {
    const d = await denoiseIfNoisy(decoded, quality.noiseSigma, options.denoise);
    denoised = d.applied;
    source = d.image;
  }
  const geometry = letterboxGeometry(source.width, source.height, options.width, options.height);
  let tensor: Float32Array;
  if (geometry.newWidth === source.width && geometry.newHeight === source.height) {
    tensor = normaliseLetterboxed(source, geometry, options.padValue, options.normalise, out);
  } else if (2 * geometry.newWidth === source.width && 2 * geometry.newHeight === source.height) {
    tensor = normaliseLetterboxedHalved(source, geometry, options.padValue, options.normalise, out);
  } else {
    const raw: EncodedImage = { width: source.width, height: source.height, encoding: 'rgb8', stride: 3 * source.width, data: source.data };
    const content = await decodeResized(raw, decodeOptions, { width: geometry.newWidth, height: geometry.newHeight });
    tensor = normaliseLetterboxed(content, geometry, options.padValue, options.normalise, out);
  }
  return { sourceWidth: decoded.width, sourceHeight: decoded.height, geometry, quality, qualityAgeUs: reused?.ageUs ?? 0, denoised, tensor };
}
