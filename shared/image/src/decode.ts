import sharp from 'sharp';
import { ImageDecodeError, ImageDimensionError, ImageTooLargeError } from './errors.js';

export type ImageEncoding = 'jpeg' | 'png' | 'rgb8' | 'bgr8' | 'gray8';

/** An image as it travels (the pixel part of a CameraFrame). */
export interface EncodedImage {
  readonly width: number;
  readonly height: number;
  readonly encoding: ImageEncoding;
  /** Bytes per row for raw encodings; 0 for jpeg and png. */
  readonly stride: number;
  readonly data: Uint8Array;
}

/** Decoded pixels: interleaved RGB, tightly packed (stride = 3 * width), rows top to bottom. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface DecodeOptions {
  /** Largest accepted width * height; beyond it ImageTooLargeError before any pixel is decoded. */
  readonly maxPixels: number;
}

const RAW_CHANNELS = { rgb8: 3, bgr8: 3, gray8: 1 } as const;

function checkSize(width: number, height: number, maxPixels: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageDimensionError(`${what}: expected a positive integer width and height, found ${String(width)}x${String(height)}`);
  }
  if (width * height > maxPixels) {
    throw new ImageTooLargeError(
      `${what}: ${String(width)}x${String(height)} = ${String(width * height)} pixels exceeds the cap of ${String(maxPixels)}`,
    );
  }
}

function decodeRaw(image: EncodedImage, maxPixels: number): RgbImage {
  const encoding = image.encoding as keyof typeof RAW_CHANNELS;
  const { width, height, stride, data } = image;
  checkSize(width, height, maxPixels, `raw ${encoding} image`);
  const channels = RAW_CHANNELS[encoding];
  if (stride < width * channels) {
    throw new ImageDimensionError(`raw ${encoding} image: stride ${String(stride)} is below width * channels = ${String(width * channels)}`);
  }
  if (data.length !== stride * height) {
    throw new ImageDimensionError(
      `raw ${encoding} image ${String(width)}x${String(height)} stride ${String(stride)}: expected ${String(stride * height)} bytes, found ${String(data.length)}`,
    );
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    let s = y * stride;
    let d = y * width * 3;
    if (encoding === 'rgb8') {
      out.set(data.subarray(s, s + width * 3), d);
    } else if (encoding === 'bgr8') {
      for (let x = 0; x < width; x++, s += 3, d += 3) {
        out[d] = data[s + 2] ?? 0;
        out[d + 1] = data[s + 1] ?? 0;
        out[d + 2] = data[s] ?? 0;
      }
    } else {
      for (let x = 0; x < width; x++, s++, d += 3) {
        const v = data[s] ?? 0;
        out[d] = v;
        out[d + 1] = v;
        out[d + 2] = v;
      }
    }
  }
  return { width, height, data: out };
}

async function decodeCompressed(image: EncodedImage, maxPixels: number): Promise<RgbImage> {
  const what = `${image.encoding} image`;
  if (image.data.length === 0) throw new ImageDimensionError(`${what}: no bytes`);
  const meta = await sharp(image.data, { limitInputPixels: false })
    .metadata()
    .catch((error: unknown) => {
      throw new ImageDecodeError(`${what}: not a readable image (${error instanceof Error ? error.message : String(error)})`, {}, error);
    });
  if (meta.format !== image.encoding) {
    throw new ImageDecodeError(`${what}: the bytes are ${meta.format}, not ${image.encoding}`);
  }
  const width = meta.autoOrient.width;
  const height = meta.autoOrient.height;
  checkSize(width, height, maxPixels, what);
  if (width !== image.width || height !== image.height) {
    throw new ImageDimensionError(
      `${what}: the record declares ${String(image.width)}x${String(image.height)}, the bytes are ${String(width)}x${String(height)}`,
    );
  }
  try {
    // failOn 'warning': a truncated JPEG ("premature end") is an error, not a half-grey picture.
    const { data, info } = await sharp(image.data, { failOn: 'warning', limitInputPixels: maxPixels })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== width || info.height !== height) {
      throw new ImageDecodeError(`${what}: decoded to ${String(info.width)}x${String(info.height)}x${String(info.channels)}, expected ${String(width)}x${String(height)}x3`);
    }
    return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(`${what}: corrupt or truncated (${error instanceof Error ? error.message : String(error)})`, {}, error);
  }
}

/** Decode any supported encoding to packed RGB; bad bytes are typed errors (poison records). */
export async function decodeImage(image: EncodedImage, options: DecodeOptions): Promise<RgbImage> {
  if (image.encoding === 'jpeg' || image.encoding === 'png') return decodeCompressed(image, options.maxPixels);
  return decodeRaw(image, options.maxPixels);
}

/** Luma (ITU-R BT.601, as OpenCV's RGB2GRAY) rounded to 8 bits. */
export function toGray(image: RgbImage): Uint8Array {
  const n = image.width * image.height;
  const out = new Uint8Array(n);
  const d = image.data;
  for (let i = 0, s = 0; i < n; i++, s += 3) {
    out[i] = Math.round(0.299 * (d[s] ?? 0) + 0.587 * (d[s + 1] ?? 0) + 0.114 * (d[s + 2] ?? 0));
  }
  return out;
}
