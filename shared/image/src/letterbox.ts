import sharp from 'sharp';
import type { RgbImage } from './decode.js';

/**
 * How a source image sits inside the model input after a letterbox resize: scaled by one factor
 * (aspect kept), rounded to whole pixels, centred, padded. `scaleX`/`scaleY` are the realised
 * factors (newWidth / sourceWidth), so the inverse mapping is exact for the pixels really drawn.
 */
export interface LetterboxGeometry {
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly targetWidth: number;
  readonly targetHeight: number;
  readonly newWidth: number;
  readonly newHeight: number;
  readonly scaleX: number;
  readonly scaleY: number;
  readonly padLeft: number;
  readonly padTop: number;
}

export interface Box {
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
}

/** Geometry of the letterbox (Ultralytics' rounding: r = min ratio, pad split evenly, left/top rounded down at .5). */
export function letterboxGeometry(sourceWidth: number, sourceHeight: number, targetWidth: number, targetHeight: number): LetterboxGeometry {
  const r = Math.min(targetWidth / sourceWidth, targetHeight / sourceHeight);
  const newWidth = Math.min(targetWidth, Math.max(1, Math.round(sourceWidth * r)));
  const newHeight = Math.min(targetHeight, Math.max(1, Math.round(sourceHeight * r)));
  const padLeft = Math.floor((targetWidth - newWidth) / 2);
  const padTop = Math.floor((targetHeight - newHeight) / 2);
  return {
    sourceWidth,
    sourceHeight,
    targetWidth,
    targetHeight,
    newWidth,
    newHeight,
    scaleX: newWidth / sourceWidth,
    scaleY: newHeight / sourceHeight,
    padLeft,
    padTop,
  };
}

/** A box in source pixels → model-input pixels. */
export function boxToLetterbox(box: Box, g: LetterboxGeometry): Box {
  return {
    xMin: box.xMin * g.scaleX + g.padLeft,
    yMin: box.yMin * g.scaleY + g.padTop,
    xMax: box.xMax * g.scaleX + g.padLeft,
    yMax: box.yMax * g.scaleY + g.padTop,
  };
}

/** A box in model-input pixels → source pixels, clipped to the source image. */
export function boxFromLetterbox(box: Box, g: LetterboxGeometry): Box {
  const clipX = (v: number): number => Math.min(g.sourceWidth, Math.max(0, v));
  const clipY = (v: number): number => Math.min(g.sourceHeight, Math.max(0, v));
  return {
    xMin: clipX((box.xMin - g.padLeft) / g.scaleX),
    yMin: clipY((box.yMin - g.padTop) / g.scaleY),
    xMax: clipX((box.xMax - g.padLeft) / g.scaleX),
    yMax: clipY((box.yMax - g.padTop) / g.scaleY),
  };
}

export interface LetterboxOptions {
  readonly width: number;
  readonly height: number;
  /** Grey level of the padding (Ultralytics uses 114). */
  readonly padValue: number;
}

/** Resize (bilinear, aspect kept) and pad to the model input; returns the pixels and the geometry. */
export async function letterbox(image: RgbImage, options: LetterboxOptions): Promise<{ image: RgbImage; geometry: LetterboxGeometry }> {
  const g = letterboxGeometry(image.width, image.height, options.width, options.height);
  const pad = { r: options.padValue, g: options.padValue, b: options.padValue };
  const buf = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(g.newWidth, g.newHeight, { fit: 'fill', kernel: 'linear' })
    .extend({
      left: g.padLeft,
      top: g.padTop,
      right: options.width - g.newWidth - g.padLeft,
      bottom: options.height - g.newHeight - g.padTop,
      background: pad,
    })
    .raw()
    .toBuffer();
  return { image: { width: options.width, height: options.height, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) }, geometry: g };
}
