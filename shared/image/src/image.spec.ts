import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@sensorfuse/random';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  boxFromLetterbox,
  boxToLetterbox,
  decodeImage,
  denoiseIfNoisy,
  estimateNoiseSigma,
  ImageDecodeError,
  ImageDimensionError,
  ImageTooLargeError,
  laplacianVariance,
  letterbox,
  letterboxGeometry,
  measureQuality,
  normaliseToTensor,
  toGray,
} from './index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = path.resolve(repoRoot, '../shared/data');
const PY = '/usr/bin/python3';
const MAX = 50_000_000;
const QUALITY = { blurReferenceVariance: 100, noiseReferenceSigma: 10, underExposedLevel: 16, overExposedLevel: 240, blockageGrid: 8, blockageStdThreshold: 2 };

function pythonHas(module: string): boolean {
  try {
    execFileSync(PY, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Deterministic N(0, 1) noise (mulberry32 + Box-Muller; the 1e-12 keeps log finite, and the noise images these tests were tuned on). */
function gaussian(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

describe('decodeImage', () => {
  it('decodes a PNG to the exact pixels it was made from', async () => {
    const pixels = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const png = await sharp(pixels, { raw: { width: 3, height: 2, channels: 3 } }).png().toBuffer();
    const img = await decodeImage({ width: 3, height: 2, encoding: 'png', stride: 0, data: png }, { maxPixels: MAX });
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data)).toEqual(Array.from(pixels));
  });

  it('swaps bgr8 to RGB and skips the row padding of the stride', async () => {
    // 2x2 bgr8, stride 8 (2 padding bytes per row, filled with 99)
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6, 99, 99, 7, 8, 9, 10, 11, 12, 99, 99]);
    const img = await decodeImage({ width: 2, height: 2, encoding: 'bgr8', stride: 8, data }, { maxPixels: MAX });
    expect(Array.from(img.data)).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
  });

  it('expands gray8 to three equal channels', async () => {
    const img = await decodeImage({ width: 2, height: 1, encoding: 'gray8', stride: 2, data: Uint8Array.from([7, 200]) }, { maxPixels: MAX });
    expect(Array.from(img.data)).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it('rejects a truncated JPEG, a wrong declared size, zero size, oversize and short raw data with typed errors', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 120, b: 30 } } }).jpeg().toBuffer();
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    await expect(decodeImage({ width: 64, height: 48, encoding: 'jpeg', stride: 0, data: truncated }, { maxPixels: MAX })).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(decodeImage({ width: 64, height: 48, encoding: 'jpeg', stride: 0, data: Uint8Array.from([1, 2, 3, 4]) }, { maxPixels: MAX })).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(decodeImage({ width: 64, height: 48, encoding: 'png', stride: 0, data: jpeg }, { maxPixels: MAX })).rejects.toBeInstanceOf(ImageDecodeError);
    const wrong = decodeImage({ width: 640, height: 48, encoding: 'jpeg', stride: 0, data: jpeg }, { maxPixels: MAX });
    await expect(wrong).rejects.toBeInstanceOf(ImageDimensionError);
    await expect(wrong).rejects.toThrow(/declares 640x48, the bytes are 64x48/);
    await expect(decodeImage({ width: 64, height: 48, encoding: 'jpeg', stride: 0, data: jpeg }, { maxPixels: 64 * 47 })).rejects.toBeInstanceOf(ImageTooLargeError);
    await expect(decodeImage({ width: 0, height: 0, encoding: 'rgb8', stride: 0, data: new Uint8Array(0) }, { maxPixels: MAX })).rejects.toBeInstanceOf(ImageDimensionError);
    await expect(decodeImage({ width: 4, height: 4, encoding: 'rgb8', stride: 12, data: new Uint8Array(47) }, { maxPixels: MAX })).rejects.toThrow(/expected 48 bytes, found 47/);
    await expect(decodeImage({ width: 8000, height: 6250, encoding: 'rgb8', stride: 24000, data: new Uint8Array(10) }, { maxPixels: 20_000_000 })).rejects.toBeInstanceOf(ImageTooLargeError);
  });
});

describe('letterbox', () => {
  it('places a KITTI-sized frame in 320x192 and maps a box there and back (hand calculation)', () => {
    const g = letterboxGeometry(1242, 375, 320, 192);
    // r = min(320/1242, 192/375) = 0.2576490; new size 320 x round(96.618) = 97; pad top floor(95/2) = 47
    expect([g.newWidth, g.newHeight, g.padLeft, g.padTop]).toEqual([320, 97, 0, 47]);
    const box = { xMin: 100, yMin: 50, xMax: 300, yMax: 200 };
    const lb = boxToLetterbox(box, g);
    expect(lb.xMin).toBeCloseTo((100 * 320) / 1242, 10); // 25.7649
    expect(lb.yMin).toBeCloseTo((50 * 97) / 375 + 47, 10); // 59.9333
    expect(lb.yMax).toBeCloseTo((200 * 97) / 375 + 47, 10); // 98.7333
    const back = boxFromLetterbox(lb, g);
    expect(back.xMin).toBeCloseTo(100, 9);
    expect(back.yMin).toBeCloseTo(50, 9);
    expect(back.xMax).toBeCloseTo(300, 9);
    expect(back.yMax).toBeCloseTo(200, 9);
  });

  it('round-trips every KITTI label box of the recordings exactly', () => {
    const labels = path.join(dataDir, 'kitti/label_2');
    if (!existsSync(labels)) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    let n = 0;
    for (const file of readdirSync(labels)) {
      for (const line of readFileSync(path.join(labels, file), 'utf8').split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length < 8 || f[0] === 'DontCare') continue;
        const box = { xMin: Number(f[4]), yMin: Number(f[5]), xMax: Number(f[6]), yMax: Number(f[7]) };
        const g = letterboxGeometry(1242, 375, 640, 384);
        const back = boxFromLetterbox(boxToLetterbox(box, g), g);
        for (const k of ['xMin', 'yMin', 'xMax', 'yMax'] as const) expect(Math.abs(back[k] - box[k])).toBeLessThan(1e-9);
        n++;
      }
    }
    expect(n).toBeGreaterThan(0);
  });

  it('pads with the pad value and keeps same-scale pixels untouched', async () => {
    const src = { width: 4, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => i * 10) };
    const { image, geometry } = await letterbox(src, { width: 4, height: 4, padValue: 114 });
    expect([geometry.padTop, geometry.newHeight]).toEqual([1, 2]);
    expect(Array.from(image.data.subarray(0, 12))).toEqual(Array(12).fill(114));
    expect(Array.from(image.data.subarray(12, 36))).toEqual(Array.from(src.data));
    expect(Array.from(image.data.subarray(36, 48))).toEqual(Array(12).fill(114));
  });
});

describe('normaliseToTensor', () => {
  it('writes planar channels with (p * scale − mean) / std, in RGB or BGR order', () => {
    const img = { width: 2, height: 1, data: Uint8Array.from([255, 0, 51, 0, 102, 255]) };
    const rgb = normaliseToTensor(img, { scale: 1 / 255, mean: [0.5, 0, 0], std: [0.5, 1, 2], channelOrder: 'rgb' });
    // R plane: (1 − .5)/.5 = 1, (0 − .5)/.5 = −1; G plane: 0, 0.4; B plane: 0.2/2 = 0.1, 1/2 = 0.5
    const expected = [1, -1, 0, 0.4, 0.1, 0.5];
    expected.forEach((v, i) => {
      expect(rgb[i]).toBeCloseTo(v, 6);
    });
    const bgr = normaliseToTensor(img, { scale: 1, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'bgr' });
    expect(Array.from(bgr)).toEqual([51, 255, 0, 102, 255, 0]);
  });
});

describe('quality', () => {
  it('computes the Laplacian variance of a 3x3 image by hand (REFLECT_101 borders)', () => {
    // centre 9, all else 0: centre response −36; its 4 neighbours see it once (+9), the
    // edge-centre neighbours also see it reflected on the far side: with REFLECT_101 the
    // left-middle pixel (0,1) has left = (2,1)? no — its reflected left is column 1 = centre: +9 twice.
    const gray = Uint8Array.from([0, 0, 0, 0, 9, 0, 0, 0, 0]);
    // responses: corners 0 (reflections hit edge-centres, which are 0); edge-centres 9 + 9 = 18; centre −36
    const responses = [0, 18, 0, 18, -36, 18, 0, 18, 0];
    const mean = responses.reduce((a, b) => a + b) / 9;
    const variance = responses.reduce((a, b) => a + (b - mean) ** 2, 0) / 9;
    expect(laplacianVariance(gray, 3, 3)).toBeCloseTo(variance, 12);
  });

  it('matches the peer (OpenCV, else scipy.ndimage with mode=mirror) on a real KITTI frame', async () => {
    const file = path.join(dataDir, 'kitti/image_2/000000.png');
    if (!existsSync(file)) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    const peer = pythonHas('cv2') ? 'cv2' : pythonHas('scipy') ? 'scipy' : undefined;
    if (peer === undefined) {
      console.warn('skipped: neither python3-opencv nor python3-scipy under /usr/bin/python3');
      return;
    }
    if (peer !== 'cv2') console.warn('python3-opencv absent: comparing the Laplacian variance against scipy.ndimage (same kernel, mode=mirror = BORDER_REFLECT_101)');
    const png = readFileSync(file);
    const meta = await sharp(png).metadata();
    const rgb = await decodeImage({ width: meta.width, height: meta.height, encoding: 'png', stride: 0, data: png }, { maxPixels: MAX });
    const gray = toGray(rgb);
    const dir = mkdtempSync(path.join(tmpdir(), 'lap-'));
    const raw = path.join(dir, 'gray.raw');
    writeFileSync(raw, gray);
    const script =
      peer === 'cv2'
        ? `import sys,numpy as np,cv2\ng=np.fromfile(sys.argv[1],np.uint8).reshape(${String(rgb.height)},${String(rgb.width)})\nprint(repr(float(cv2.Laplacian(g,cv2.CV_64F).var())))`
        : `import sys,numpy as np\nfrom scipy import ndimage\ng=np.fromfile(sys.argv[1],np.uint8).reshape(${String(rgb.height)},${String(rgb.width)}).astype(np.float64)\nk=np.array([[0,1,0],[1,-4,1],[0,1,0]],np.float64)\nprint(repr(float(ndimage.convolve(g,k,mode='mirror').var())))`;
    const expected = Number(execFileSync(PY, ['-c', script, raw], { encoding: 'utf8' }).trim());
    expect(expected).toBeGreaterThan(10);
    expect(laplacianVariance(gray, rgb.width, rgb.height)).toBeCloseTo(expected, 6);
  });

  it('estimates a known noise sigma on a flat frame within 10 %', () => {
    const w = 320;
    const h = 240;
    const noise = gaussian(7);
    const gray = Uint8Array.from({ length: w * h }, () => Math.round(128 + 10 * noise()));
    expect(estimateNoiseSigma(gray, w, h)).toBeGreaterThan(9);
    expect(estimateNoiseSigma(gray, w, h)).toBeLessThan(11);
  });

  it('calls a black frame fully under-exposed and blocked, and a sharp textured frame reliable', () => {
    const w = 256;
    const h = 256;
    const black = measureQuality(new Uint8Array(w * h), w, h, QUALITY);
    expect(black.exposure).toBe(-1);
    expect(black.blockage).toBe(1);
    expect(black.reliability).toBe(0);
    // 16-pixel squares: sharp edges, but few enough that the noise estimator sees little structure
    const checker = Uint8Array.from({ length: w * h }, (_, i) => (((i % w) >> 4) + ((i / w) >> 4)) % 2 === 0 ? 60 : 190);
    const sharpQ = measureQuality(checker, w, h, QUALITY);
    expect(sharpQ.exposure).toBe(0);
    expect(sharpQ.blockage).toBe(0);
    expect(sharpQ.blur).toBeLessThan(0.05);
    expect(sharpQ.reliability).toBeGreaterThan(0.9);
  });

  it('reports a lower sharpness for a blurred copy of a real frame', async () => {
    const file = path.join(dataDir, 'kitti/image_2/000000.png');
    if (!existsSync(file)) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    const { data, info } = await sharp(readFileSync(file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const blurred = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).blur(3).raw().toBuffer();
    const q0 = measureQuality(toGray({ width: info.width, height: info.height, data }), info.width, info.height, QUALITY);
    const q1 = measureQuality(toGray({ width: info.width, height: info.height, data: blurred }), info.width, info.height, QUALITY);
    expect(q1.blur).toBeGreaterThan(q0.blur + 0.3);
  });
});

describe('denoiseIfNoisy', () => {
  it('applies the median only above the noise threshold, and it lowers the measured noise', async () => {
    const w = 96;
    const h = 64;
    const noise = gaussian(3);
    const data = Uint8Array.from({ length: w * h * 3 }, () => Math.max(0, Math.min(255, Math.round(100 + 12 * noise()))));
    const img = { width: w, height: h, data };
    const before = estimateNoiseSigma(toGray(img), w, h);
    const clean = await denoiseIfNoisy(img, before, { noiseSigmaThreshold: 50, medianSize: 3 });
    expect(clean.applied).toBe(false);
    expect(clean.image).toBe(img);
    const out = await denoiseIfNoisy(img, before, { noiseSigmaThreshold: 4, medianSize: 3 });
    expect(out.applied).toBe(true);
    expect(estimateNoiseSigma(toGray(out.image), w, h)).toBeLessThan(before / 2);
  });
});

describe('real images', () => {
  it('decodes every KITTI and nuScenes image and reports its quality', async () => {
    const files = [
      ...(existsSync(path.join(dataDir, 'kitti/image_2')) ? readdirSync(path.join(dataDir, 'kitti/image_2')).map((f) => path.join(dataDir, 'kitti/image_2', f)) : []),
      ...(existsSync(path.join(dataDir, 'nuscenes-sample')) ? readdirSync(path.join(dataDir, 'nuscenes-sample')).filter((f) => f.endsWith('.jpg')).map((f) => path.join(dataDir, 'nuscenes-sample', f)) : []),
    ];
    if (files.length === 0) {
      console.warn('skipped: ../shared/data/kitti and nuscenes-sample absent');
      return;
    }
    for (const file of files) {
      const bytes = readFileSync(file);
      const meta = await sharp(bytes).metadata();
      const encoding = file.endsWith('.png') ? 'png' : 'jpeg';
      const img = await decodeImage({ width: meta.width, height: meta.height, encoding, stride: 0, data: bytes }, { maxPixels: MAX });
      const q = measureQuality(toGray(img), img.width, img.height, QUALITY);
      console.log(`${path.basename(file)} ${String(img.width)}x${String(img.height)} lapVar=${q.laplacianVariance.toFixed(1)} blur=${q.blur.toFixed(3)} exposure=${q.exposure.toFixed(3)} blockage=${q.blockage.toFixed(3)} noise=${q.noiseSigma.toFixed(2)} reliability=${q.reliability.toFixed(3)}`);
      // Daylight road scenes: sharp enough, not crushed or clipped, not blocked.
      expect(q.reliability).toBeGreaterThan(0.3);
      expect(q.blockage).toBeLessThan(0.5);
    }
  });
});
