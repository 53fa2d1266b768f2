import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@sensorfuse/random';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  decodeImage,
  decodeResized,
  readImageHeader,
  letterbox,
  letterboxGeometry,
  measureQuality,
  measureQualityRgb,
  measureQualitySampled,
  normaliseLetterboxed,
  normaliseLetterboxedHalved,
  normaliseToTensor,
  QualitySchedule,
  preprocessFrame,
  toGray,
  type EncodedImage,
  type PreprocessOptions,
  type RgbImage,
} from './index.js';

// The fast pre-processing path (decode → sampled quality → resize → pad + normalise in one pass)
// against the step-by-step functions it replaces, which image.spec.ts checks against hand
// calculations, scipy and OpenCV.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = path.resolve(repoRoot, '../shared/data');
const QUALITY = { blurReferenceVariance: 100, noiseReferenceSigma: 10, underExposedLevel: 16, overExposedLevel: 240, blockageGrid: 8, blockageStdThreshold: 2 };
const NORMALISE = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channelOrder: 'bgr' } as const;

function randomRgb(width: number, height: number, seed: number): RgbImage {
  let s = seed;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1_103_515_245 + 12_345) >>> 0;
    // Smooth gradient plus noise and a few saturated and black pixels.
    const x = Math.floor(i / 3) % width;
    data[i] = Math.max(0, Math.min(255, ((x * 3) % 256) + ((s >>> 24) % 40) - 20));
  }
  return { width, height, data };
}

function realImages(): string[] {
  return [
    ...(existsSync(path.join(dataDir, 'kitti/image_2')) ? readdirSync(path.join(dataDir, 'kitti/image_2')).map((f) => path.join(dataDir, 'kitti/image_2', f)) : []),
    ...(existsSync(path.join(dataDir, 'nuscenes-sample')) ? readdirSync(path.join(dataDir, 'nuscenes-sample')).filter((f) => f.endsWith('.jpg')).map((f) => path.join(dataDir, 'nuscenes-sample', f)) : []),
  ];
}

async function encoded(file: string): Promise<EncodedImage> {
  const bytes = readFileSync(file);
  const meta = await sharp(bytes).metadata();
  return { width: meta.width, height: meta.height, encoding: file.endsWith('.png') ? 'png' : 'jpeg', stride: 0, data: bytes };
}

describe('measureQualityRgb', () => {
  it('gives the very report of measureQuality(toGray(image)), borders and uneven tiles included', () => {
    for (const [w, h] of [
      [97, 61],
      [640, 384],
      [3, 3],
    ] as const) {
      const img = randomRgb(w, h, w + h);
      expect(measureQualityRgb(img.data, w, h, { ...QUALITY, blockageGrid: 7 })).toEqual(measureQuality(toGray(img), w, h, { ...QUALITY, blockageGrid: 7 }));
    }
  });
});

describe('measureQualitySampled', () => {
  it('estimates the full-resolution measures of every KITTI and nuScenes image from every 5th row', async () => {
    const files = realImages();
    if (files.length === 0) {
      console.warn('skipped: ../shared/data/kitti and nuscenes-sample absent');
      return;
    }
    for (const file of files) {
      const img = await decodeImage(await encoded(file), { maxPixels: 50_000_000 });
      const exact = measureQuality(toGray(img), img.width, img.height, QUALITY);
      const est = measureQualitySampled(img.data, img.width, img.height, QUALITY, 5);
      expect(est.laplacianVariance).toBeGreaterThan(exact.laplacianVariance * 0.95);
      expect(est.laplacianVariance).toBeLessThan(exact.laplacianVariance * 1.05);
      expect(est.noiseSigma).toBeGreaterThan(exact.noiseSigma * 0.95);
      expect(est.noiseSigma).toBeLessThan(exact.noiseSigma * 1.05);
      expect(Math.abs(est.exposure - exact.exposure)).toBeLessThan(0.02);
      expect(Math.abs(est.reliability - exact.reliability)).toBeLessThan(0.03);
      // A tile whose std sits on the threshold may flip: at most one of the 64.
      expect(Math.abs(est.blockage - exact.blockage)).toBeLessThanOrEqual(1 / 64);
    }
  });

  it('recovers a known noise sigma of 10 within 10 % and is exact with a step of 1', () => {
    const w = 320;
    const h = 240;
    const uniform = seededRandom(7);
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) {
      const v = Math.round(128 + 10 * Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform()));
      data.fill(v, 3 * i, 3 * i + 3); // grey pixels: the grey image is the noise itself
    }
    expect(measureQualitySampled(data, w, h, QUALITY, 5).noiseSigma).toBeGreaterThan(9);
    expect(measureQualitySampled(data, w, h, QUALITY, 5).noiseSigma).toBeLessThan(11);
    expect(measureQualitySampled(data, w, h, QUALITY, 1)).toEqual(measureQualityRgb(data, w, h, QUALITY));
  });
});

describe('decodeImage of JPEGs by component count', () => {
  it('reads 1, 3 and 4 components from the header and decodes each to packed sRGB (3-component JPEGs without conversion)', async () => {
    const src = randomRgb(40, 24, 5);
    const raw = { raw: { width: 40, height: 24, channels: 3 as const } };
    const cases = [
      { components: 1, jpeg: await sharp(src.data, raw).toColourspace('b-w').jpeg({ quality: 95 }).toBuffer() },
      { components: 3, jpeg: await sharp(src.data, raw).jpeg({ quality: 95 }).toBuffer() },
      { components: 4, jpeg: await sharp(src.data, raw).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer() },
    ];
    for (const c of cases) {
      expect(readImageHeader(c.jpeg)).toEqual({ format: 'jpeg', width: 40, height: 24, components: c.components });
      const img = await decodeImage({ width: 40, height: 24, encoding: 'jpeg', stride: 0, data: c.jpeg }, { maxPixels: 1e6 });
      // The reference: sharp's own conversion to three sRGB bands.
      const ref = await sharp(c.jpeg).removeAlpha().toColourspace('srgb').raw().toBuffer();
      expect(img.data.length).toBe(40 * 24 * 3);
      expect(Buffer.from(img.data).equals(ref)).toBe(true);
    }
  });
});

describe('normaliseLetterboxed', () => {
  it('equals letterbox then normaliseToTensor, pad and content, to the last bit', async () => {
    const src = randomRgb(150, 70, 3);
    const g = letterboxGeometry(150, 70, 64, 64);
    const reference = normaliseToTensor((await letterbox(src, { width: 64, height: 64, padValue: 114 })).image, NORMALISE);
    const content = await decodeResized({ width: 150, height: 70, encoding: 'rgb8', stride: 450, data: src.data }, { maxPixels: 1e6 }, { width: g.newWidth, height: g.newHeight });
    const out = new Float32Array(3 * 64 * 64).fill(Number.NaN);
    expect(normaliseLetterboxed(content, g, 114, NORMALISE, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(reference));
  });
});

describe('normaliseLetterboxedHalved', () => {
  it('equals sharp\'s factor-2 letterbox then normaliseToTensor, to the last bit, odd sizes, padding and both channel orders', async () => {
    const cases: [number, number, number, number, number][] = [
      // source w, h, target w, h, seed: content = source / 2, padded where the target is larger
      [150, 70, 75, 64, 1],
      [640, 384, 320, 192, 2],
      [62, 98, 40, 49, 3],
      [4, 4, 2, 2, 4],
      [2, 6, 1, 3, 5], // one column: both edge taps clamped
      [10, 8, 5, 4, 6], // 30-byte rows: the byte-at-a-time vertical pass
    ];
    for (const [w, h, tw, th, seed] of cases) {
      const src = randomRgb(w, h, seed);
      const g = letterboxGeometry(w, h, tw, th);
      expect([g.newWidth * 2, g.newHeight * 2]).toEqual([w, h]);
      for (const normalise of [NORMALISE, { ...NORMALISE, channelOrder: 'rgb' as const }]) {
        const reference = normaliseToTensor((await letterbox(src, { width: tw, height: th, padValue: 114 })).image, normalise);
        const out = new Float32Array(3 * tw * th).fill(Number.NaN);
        expect(normaliseLetterboxedHalved(src, g, 114, normalise, out)).toBe(out);
        expect(Array.from(out)).toEqual(Array.from(reference));
        // The same from a view at an odd byte offset (the byte-at-a-time vertical pass).
        const shifted = new Uint8Array(src.data.length + 1);
        shifted.set(src.data, 1);
        expect(Array.from(normaliseLetterboxedHalved({ width: w, height: h, data: shifted.subarray(1) }, g, 114, normalise))).toEqual(Array.from(reference));
      }
    }
  });

  it('matches sharp on the real KITTI and nuScenes images cropped to even sizes', async () => {
    const files = realImages();
    if (files.length === 0) {
      console.warn('skipped: ../shared/data/kitti and nuscenes-sample absent');
      return;
    }
    for (const file of files.slice(0, 4)) {
      const decoded = await decodeImage(await encoded(file), { maxPixels: 50_000_000 });
      const w = decoded.width & ~1;
      const h = decoded.height & ~1;
      const crop = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) crop.set(decoded.data.subarray(y * decoded.width * 3, y * decoded.width * 3 + w * 3), y * w * 3);
      const src = { width: w, height: h, data: crop };
      const g = letterboxGeometry(w, h, w / 2, h / 2);
      const reference = normaliseToTensor((await letterbox(src, { width: w / 2, height: h / 2, padValue: 114 })).image, NORMALISE);
      expect(Array.from(normaliseLetterboxedHalved(src, g, 114, NORMALISE))).toEqual(Array.from(reference));
    }
  });
});

describe('QualitySchedule', () => {
  const report = (reliability: number) => ({ ...measureQualityRgb(randomRgb(8, 8, 1).data, 8, 8, QUALITY), reliability });

  it('measures every n-th frame of each camera, or once the last report is maxAgeUs old, or after time went back', () => {
    const s = new QualitySchedule({ everyFrames: 3, maxAgeUs: 250_000 });
    const due: string[] = [];
    // Camera a at 10 Hz (100 ms apart), camera b once; then a jumps 300 ms, then back in time.
    const frames: [string, number][] = [['a', 0], ['b', 0], ['a', 100_000], ['a', 200_000], ['a', 300_000], ['a', 400_000], ['a', 700_000], ['a', 750_000], ['a', 100_000]];
    for (const [camera, timeUs] of frames) {
      const r = s.reusable({ camera, timeUs });
      if (r === undefined) {
        due.push(`${camera}@${String(timeUs / 1000)}`);
        s.measured({ camera, timeUs }, report(timeUs));
      } else {
        due.push(`reuse ${String(r.ageUs / 1000)} ms`);
      }
    }
    // a@0 measured; a@100, a@200 reuse; a@300 is the 3rd frame after → measured; a@400 reuse;
    // a@700 is 400 ms after a@300 ≥ 250 ms → measured; a@750 reuse; a@100 went back → measured.
    expect(due).toEqual(['a@0', 'b@0', 'reuse 100 ms', 'reuse 200 ms', 'a@300', 'reuse 100 ms', 'a@700', 'reuse 50 ms', 'a@100']);
  });

  it('measures every frame with everyFrames 1 or maxAgeUs 0', () => {
    for (const cadence of [{ everyFrames: 1, maxAgeUs: 1e9 }, { everyFrames: 100, maxAgeUs: 0 }]) {
      const s = new QualitySchedule(cadence);
      s.measured({ camera: 'a', timeUs: 0 }, report(0.5));
      expect(s.reusable({ camera: 'a', timeUs: 1 })).toBeUndefined();
    }
  });
});

describe('preprocessFrame', () => {
  it('normalises the decoded pixels as they are when the model input is the source size (identity letterbox)', async () => {
    const synthetic = randomRgb(640, 384, 5);
    const jpeg = await sharp(synthetic.data, { raw: { width: 640, height: 384, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    const input: EncodedImage = { width: 640, height: 384, encoding: 'jpeg', stride: 0, data: jpeg };
    const options: PreprocessOptions = { maxPixels: 1e6, width: 640, height: 384, padValue: 114, normalise: NORMALISE, quality: QUALITY, denoise: { mode: 'off', noiseSigmaThreshold: 8, medianSize: 3 } };
    const r = await preprocessFrame(input, options);
    expect(r.geometry).toMatchObject({ newWidth: 640, newHeight: 384, padLeft: 0, padTop: 0, scaleX: 1, scaleY: 1 });
    expect(Array.from(r.tensor)).toEqual(Array.from(normaliseToTensor(await decodeImage(input, { maxPixels: 1e6 }), NORMALISE)));
  });

  it('reuses the camera\'s last quality report between measured frames and says how old it is', async () => {
    const jpegOf = (img: RgbImage): Promise<Buffer> => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    const a = { width: 64, height: 48, encoding: 'jpeg' as const, stride: 0, data: await jpegOf(randomRgb(64, 48, 1)) };
    const flat = { width: 64, height: 48, encoding: 'jpeg' as const, stride: 0, data: await jpegOf({ width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(128) }) };
    const options: PreprocessOptions = { maxPixels: 1e6, width: 32, height: 32, padValue: 114, normalise: NORMALISE, quality: QUALITY, denoise: { mode: 'off', noiseSigmaThreshold: 8, medianSize: 3 } };
    const schedule = new QualitySchedule({ everyFrames: 2, maxAgeUs: 1_000_000 });
    const first = await preprocessFrame(a, options, undefined, { frame: { camera: 'c', timeUs: 1_000 }, schedule });
    // A flat grey frame, but its quality is the textured frame's report, 40 ms old.
    const second = await preprocessFrame(flat, options, undefined, { frame: { camera: 'c', timeUs: 41_000 }, schedule });
    expect(first.qualityAgeUs).toBe(0);
    expect(second.qualityAgeUs).toBe(40_000);
    expect(second.quality).toEqual(first.quality);
    // The third is measured on itself: a flat frame is fully "blocked".
    const third = await preprocessFrame(flat, options, undefined, { frame: { camera: 'c', timeUs: 81_000 }, schedule });
    expect(third.qualityAgeUs).toBe(0);
    expect(third.quality.blockage).toBe(1);
    expect(first.quality.blockage).toBeLessThan(1);
  });


  it('feeds the model the tensor of decode → letterbox → normalise, with the full-resolution quality', async () => {
    const files = realImages();
    const jpegOf = (img: RgbImage): Promise<Buffer> => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    const synthetic = randomRgb(640, 384, 9);
    const inputs: EncodedImage[] = [{ width: 640, height: 384, encoding: 'jpeg', stride: 0, data: await jpegOf(synthetic) }];
    if (files.length === 0) console.warn('real images skipped: ../shared/data/kitti and nuscenes-sample absent');
    for (const file of files.slice(0, 3)) inputs.push(await encoded(file));
    const options: PreprocessOptions = {
      maxPixels: 50_000_000,
      width: 320,
      height: 192,
      padValue: 114,
      normalise: NORMALISE,
      quality: { ...QUALITY, sampleRowStep: 5 },
      denoise: { mode: 'auto', noiseSigmaThreshold: 8, medianSize: 3 },
    };
    for (const input of inputs) {
      const decoded = await decodeImage(input, { maxPixels: options.maxPixels });
      const { image, geometry } = await letterbox(decoded, { width: 320, height: 192, padValue: 114 });
      const exact = measureQuality(toGray(decoded), decoded.width, decoded.height, QUALITY);
      const r = await preprocessFrame(input, options);
      expect(r.geometry).toEqual(geometry);
      expect(r.denoised).toBe(false);
      expect(Array.from(r.tensor)).toEqual(Array.from(normaliseToTensor(image, NORMALISE)));
      expect(Math.abs(r.quality.reliability - exact.reliability)).toBeLessThan(0.03);
    }
  });
});
