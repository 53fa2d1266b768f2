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

/**
 * Width and height from a PNG IHDR or a JPEG SOF marker, without decoding; undefined if no header is
 * found. `components`: the JPEG frame's component count (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK); the
 * PNG colour type's channel count before any tRNS chunk (0 → 1, 2 → 3, 3 → 3 palette, 4 → 2, 6 → 4).
 */
export function readImageHeader(data: Uint8Array): { format: 'png' | 'jpeg'; width: number; height: number; components: number } | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length >= 24 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) {
    const channels: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20), components: channels[data[25] ?? -1] ?? 0 };
  }
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < data.length) {
    if (data[i] !== 0xff) return undefined;
    const marker = data[i + 1] ?? 0;
    if (marker === 0xff) {
      i++;
      continue;
    }
    // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', height: view.getUint16(i + 5), width: view.getUint16(i + 7), components: data[i + 9] ?? 0 };
    }
    i += 2 + view.getUint16(i + 2);
  }
  return undefined;
}

/** Header checks of a PNG/JPEG frame (format, declared size, pixel cap) before any pixel is decoded. */
function checkCompressed(image: EncodedImage, maxPixels: number): { width: number; height: number; components: number } {
  const what = `${image.encoding} image`;
  if (image.data.length === 0) throw new ImageDimensionError(`${what}: no bytes`);
  // The size comes from the header (no decode), so an oversize image is refused before any pixel work.
  const meta = readImageHeader(image.data) ?? { format: undefined, width: 0, height: 0, components: 0 };
  if (meta.format !== image.encoding) {
    throw new ImageDecodeError(`${what}: the bytes are ${meta.format ?? 'not a PNG or JPEG file'}, not ${image.encoding}`);
  }
  const { width, height } = meta;
  checkSize(width, height, maxPixels, what);
  if (width !== image.width || height !== image.height) {
    throw new ImageDimensionError(
      `${what}: the record declares ${String(image.width)}x${String(image.height)}, the bytes are ${String(width)}x${String(height)}`,
    );
  }
  return { width, height, components: meta.components };
}

/** sharp decode of PNG/JPEG bytes to packed RGB, resized to `size` on the way when given (one libvips pipeline). */
async function sharpDecode(image: EncodedImage, maxPixels: number, size?: { width: number; height: number }): Promise<RgbImage> {
  const what = `${image.encoding} image`;
  const { width, height, components } = checkCompressed(image, maxPixels);
  const outW = size?.width ?? width;
  const outH = size?.height ?? height;
  try {
    // failOn 'warning': a truncated JPEG ("premature end") is an error, not a half-grey picture.
    let pipeline = sharp(image.data, { failOn: 'warning', limitInputPixels: maxPixels, autoOrient: false });
    // A three-component JPEG decodes to three sRGB bands as it is; the conversions cost ~1 ms per 640x384
    // frame even when they change nothing. Anything else (grey, CMYK, PNG with alpha) is converted.
    if (image.encoding !== 'jpeg' || components !== 3) pipeline = pipeline.removeAlpha().toColourspace('srgb');
    // fastShrinkOnLoad false: libjpeg's DCT shrink only where a linear reduce by ≥ 2 still follows, so a
    // factor-2 letterbox gives the very pixels of decode-then-resize (what the shipped model was trained on).
    if (outW !== width || outH !== height) pipeline = pipeline.resize(outW, outH, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: false });
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== outW || info.height !== outH) {
      throw new ImageDecodeError(`${what}: decoded to ${String(info.width)}x${String(info.height)}x${String(info.channels)}, expected ${String(outW)}x${String(outH)}x3`);
    }
    return { width: outW, height: outH, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(`${what}: corrupt or truncated (${error instanceof Error ? error.message : String(error)})`, {}, error);
  }
}

/**
 * Decode and resize in one step (the letterboxed content of a frame): PNG/JPEG go through one
 * libvips pipeline (no full-resolution buffer comes back to JavaScript); raw frames are unpacked
 * then resized by sharp. Same checks and typed errors as decodeImage, on the source size.
 */
export async function decodeResized(image: EncodedImage, options: DecodeOptions, size: { width: number; height: number }): Promise<RgbImage> {
  if (image.encoding === 'jpeg' || image.encoding === 'png') return sharpDecode(image, options.maxPixels, size);
  // Packed RGB needs no unpacking: hand its bytes to sharp as they are.
  const packed = image.encoding === 'rgb8' && image.stride === 3 * image.width && image.data.length === image.stride * image.height;
  if (packed) checkSize(image.width, image.height, options.maxPixels, 'raw rgb8 image');
  const rgb = packed ? { width: image.width, height: image.height, data: image.data } : decodeRaw(image, options.maxPixels);
  if (rgb.width === size.width && rgb.height === size.height) return rgb;
  const buf = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize(size.width, size.height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { width: size.width, height: size.height, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

/** Width and height of a frame as decoding will see them, after the same checks (header only for PNG/JPEG). */
export function sourceSize(image: EncodedImage, options: DecodeOptions): { width: number; height: number } {
  if (image.encoding === 'jpeg' || image.encoding === 'png') {
    const { width, height } = checkCompressed(image, options.maxPixels);
    return { width, height };
  }
  checkSize(image.width, image.height, options.maxPixels, `raw ${image.encoding} image`);
  return { width: image.width, height: image.height };
}

/** Decode any supported encoding to packed RGB; bad bytes are typed errors (poison records). */
export async function decodeImage(image: EncodedImage, options: DecodeOptions): Promise<RgbImage> {
  if (image.encoding === 'jpeg' || image.encoding === 'png') return sharpDecode(image, options.maxPixels);
  return decodeRaw(image, options.maxPixels);
}

/** Luma (ITU-R BT.601) in OpenCV's fixed point for 8-bit RGB2GRAY: (4899 R + 9617 G + 1868 B + 2^13) >> 14. */
export function toGray(image: RgbImage): Uint8Array {
  const n = image.width * image.height;
  const out = new Uint8Array(n);
  const d = image.data;
  for (let i = 0, s = 0; i < n; i++, s += 3) {
    out[i] = (4899 * (d[s] as number) + 9617 * (d[s + 1] as number) + 1868 * (d[s + 2] as number) + 8192) >> 14;
  }
  return out;
}
