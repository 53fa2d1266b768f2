import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, ImageDimensionError, ImagePreprocessor, ImageTooLargeError, PreprocessorCrashedError, type PreprocessOptions } from './index.js';

const OPTIONS: PreprocessOptions = {
  maxPixels: 10_000,
  width: 32,
  height: 32,
  padValue: 114,
  normalise: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb' },
  quality: { blurReferenceVariance: 100, noiseReferenceSigma: 10, underExposedLevel: 16, overExposedLevel: 240, blockageGrid: 4, blockageStdThreshold: 2 },
  denoise: { mode: 'auto', noiseSigmaThreshold: 8, medianSize: 3 },
};

describe('ImagePreprocessor (worker thread)', () => {
  it('letterboxes, normalises and measures a PNG in its own thread, and reuses a recycled tensor', async () => {
    // 64x32 solid (255, 0, 51) → 32x32: scale 0.5, drawn 32x16 at rows 8..23, pad 114 above and below.
    const W = 64;
    const H = 32;
    const px = Buffer.alloc(W * H * 3);
    for (let i = 0; i < W * H; i++) {
      px[3 * i] = 255;
      px[3 * i + 2] = 51;
    }
    const png = await sharp(px, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
    const pre = await ImagePreprocessor.open();
    try {
      for (let round = 0; round < 2; round++) {
        const r = await pre.run({ width: W, height: H, encoding: 'png', stride: 0, data: png }, OPTIONS);
        expect(r.sourceWidth).toBe(64);
        expect(r.sourceHeight).toBe(32);
        expect(r.geometry).toMatchObject({ newWidth: 32, newHeight: 16, padLeft: 0, padTop: 8, scaleX: 0.5, scaleY: 0.5 });
        const plane = 32 * 32;
        const at = (c: number, y: number, x: number): number => r.tensor[c * plane + y * 32 + x] ?? Number.NaN;
        expect(r.tensor.length).toBe(3 * plane);
        for (const [y, x] of [[0, 0], [7, 31], [24, 5], [31, 31]] as const) {
          for (let c = 0; c < 3; c++) expect(at(c, y, x)).toBeCloseTo(114 / 255, 6);
        }
        for (const [y, x] of [[8, 0], [15, 16], [23, 31]] as const) {
          expect(at(0, y, x)).toBeCloseTo(1, 6);
          expect(at(1, y, x)).toBeCloseTo(0, 6);
          expect(at(2, y, x)).toBeCloseTo(0.2, 6);
        }
        // A flat frame: no texture anywhere (fully "blocked"), no noise, no denoise.
        expect(r.quality.blockage).toBe(1);
        expect(r.quality.noiseSigma).toBe(0);
        expect(r.denoised).toBe(false);
        pre.recycle(r.tensor);
      }
    } finally {
      await pre.close();
    }
  });

  it('returns the typed image errors from the thread and keeps serving after them', async () => {
    const W = 40;
    const H = 20;
    const jpeg = await sharp(Buffer.alloc(W * H * 3, 90), { raw: { width: W, height: H, channels: 3 } }).jpeg().toBuffer();
    const pre = await ImagePreprocessor.open();
    try {
      await expect(pre.run({ width: W, height: H, encoding: 'jpeg', stride: 0, data: jpeg.subarray(0, jpeg.length - 40) }, OPTIONS)).rejects.toBeInstanceOf(ImageDecodeError);
      await expect(pre.run({ width: W + 1, height: H, encoding: 'jpeg', stride: 0, data: jpeg }, OPTIONS)).rejects.toBeInstanceOf(ImageDimensionError);
      await expect(pre.run({ width: W, height: H, encoding: 'jpeg', stride: 0, data: jpeg }, { ...OPTIONS, maxPixels: 100 })).rejects.toBeInstanceOf(ImageTooLargeError);
      const ok = await pre.run({ width: W, height: H, encoding: 'jpeg', stride: 0, data: jpeg }, OPTIONS);
      expect(ok.sourceWidth).toBe(40);
    } finally {
      await pre.close();
    }
  });

  it('restarts a thread that died, with back-off, counts the restarts, and serves the next frame', async () => {
    const W = 40;
    const H = 20;
    const jpeg = await sharp(Buffer.alloc(W * H * 3, 90), { raw: { width: W, height: H, channels: 3 } }).jpeg().toBuffer();
    const image = { width: W, height: H, encoding: 'jpeg' as const, stride: 0, data: jpeg };
    const crashes: string[] = [];
    let crashed = (): void => undefined;
    const nextCrash = (): Promise<void> => new Promise((resolve) => (crashed = resolve));
    const pre = await ImagePreprocessor.open({
      restartDelayMs: 20,
      onCrash: (reason) => {
        crashes.push(reason);
        crashed();
      },
    });
    try {
      expect((await pre.run(image, OPTIONS)).sourceWidth).toBe(40);
      // Killed while it holds a frame: that frame fails with the typed error, the next one is served by a new thread.
      let crash = nextCrash();
      const held = pre.run(image, OPTIONS);
      pre.kill();
      const first = await held.then(
        () => 'served',
        (e: unknown) => (e instanceof PreprocessorCrashedError ? 'crashed' : String(e)),
      );
      // The kill message queues behind the held frame, which may finish first.
      expect(['served', 'crashed']).toContain(first);
      // Asked at once after the crash: waits for the new thread (20 ms back-off) and is served by it.
      await crash;
      const r = await pre.run(image, OPTIONS);
      expect(r.sourceWidth).toBe(40);
      expect(pre.restarts).toBe(1);
      expect(crashes).toEqual(['exited with code 1']);
      // Killed again between frames: restarted again, still serving.
      crash = nextCrash();
      pre.kill();
      await crash;
      expect((await pre.run(image, OPTIONS)).sourceHeight).toBe(20);
      expect(pre.restarts).toBe(2);
    } finally {
      await pre.close();
    }
  });
});
