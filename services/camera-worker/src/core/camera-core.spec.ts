import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadCameraConfig } from '../config.js';
import { frame, jpegFrame } from '../worker.spec-helper.js';
import { preprocessFrame } from '@sensorfuse/image';
import { CameraCore, newCameraCounters, type Detector, type DetectorSpec, type FramePreprocessor } from './camera-core.js';

const spec: DetectorSpec = {
  modelId: 'fake@1',
  inputWidth: 320,
  inputHeight: 192,
  padValue: 114,
  normalise: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb' },
  layout: 'nms-n6',
  labels: ['person'],
  classes: ['pedestrian'],
};

/** Answers one person at model (0, 0)-(32, 48) and records what it was given. */
function fakeDetector(): Detector & { calls: number; lastMean: number } {
  const d = {
    calls: 0,
    lastMean: 0,
    run(input: Float32Array) {
      d.calls++;
      d.lastMean = input.reduce((a, b) => a + b, 0) / input.length;
      return Promise.resolve({ dims: [1, 6], data: Float32Array.from([0, 0, 32, 48, 0.9, 0]) });
    },
  };
  return d;
}

const ctx = (receivedAtUs: number, offset = 0) => ({ receivedAtUs, topic: 'raw.camera', partition: 0, offset: String(offset) });

describe('CameraCore', () => {
  it('drops a frame that waited longer than maxQueueDelayUs, one closer than the frame interval, and one older than the last, counting each', async () => {
    const params = { ...loadCameraConfig({}).camera, maxQueueDelayUs: 200_000, minFrameIntervalUs: 150_000 };
    const counters = newCameraCounters();
    let now = 10_000_000;
    const detector = fakeDetector();
    const drops: string[] = [];
    // The preprocessor hears which records were pre-processed and which the core passed over (a prefetcher moves past those).
    const seen: string[] = [];
    const preprocessor: FramePreprocessor = {
      run: (image, options, source) => {
        seen.push(`run:${source?.offset ?? '?'}`);
        return preprocessFrame(image, options);
      },
      passed: (source) => seen.push(`passed:${source.offset}`),
    };
    const core = new CameraCore({ detector, preprocessor, spec, params, counters, nowUs: () => now, onDrop: (reason, f) => drops.push(`${reason}:${String(f.seq)}`) });
    const jpeg = await jpegFrame();
    const f1 = frame(1, jpeg); // capture t0 + 100 ms
    expect(await core.update(f1, ctx(now - 50_000, 1))).toHaveLength(1);
    now += 1_000_000;
    expect(await core.update(frame(2, jpeg), ctx(now - 250_000, 2))).toEqual([]); // waited 250 ms > 200 ms
    expect(await core.update(frame(3, jpeg), ctx(now - 10_000, 3))).toHaveLength(1); // 200 ms after frame 1 ≥ 150 ms
    expect(await core.update(frame(4, jpeg), ctx(now, 4))).toEqual([]); // 100 ms after frame 3 < 150 ms
    expect(await core.update(frame(2, jpeg), ctx(now, 5))).toEqual([]); // older than frame 3
    expect(seen).toEqual(['run:1', 'passed:2', 'run:3', 'passed:4', 'passed:5']);
    expect(counters).toEqual({ framesProcessed: 2, droppedStale: 1, droppedInterval: 1, droppedOutOfOrder: 1, denoised: 0, qualityMeasured: 2 });
    expect(detector.calls).toBe(2);
    expect(drops).toEqual(['stale:2', 'interval:4', 'out-of-order:2']);
  });

  it('feeds the detector the normalised letterbox and maps its box back: 640x384 → 320x192 is a factor 2', async () => {
    const counters = newCameraCounters();
    const detector = fakeDetector();
    const core = new CameraCore({ detector, spec, params: { ...loadCameraConfig({}).camera, maxQueueDelayUs: 0 }, counters, nowUs: () => 0 });
    const white = await sharp({ create: { width: 640, height: 384, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
    const [out] = await core.update(frame(1, white, { encoding: 'png' }), ctx(0));
    expect(detector.lastMean).toBeCloseTo(1, 6); // 255 / 255, no padding at an exact factor
    expect(out?.detections).toEqual([{ box: { xMin: 0, yMin: 0, xMax: 64, yMax: 96 }, objectClass: 'pedestrian', label: 'person', score: expect.closeTo(0.9, 6) as number }]);
    // Saturated white: exposure +1, reliability 0.
    expect(out?.quality.exposure).toBe(1);
    expect(out?.reliability).toBe(0);
  });

  it('switches the median denoise on for a noisy low-light frame and off for a clean one', async () => {
    const w = 640;
    const h = 384;
    let s = 11;
    const noisy = Buffer.alloc(w * h * 3);
    for (let i = 0; i < noisy.length; i++) {
      s = (s * 1_103_515_245 + 12_345) >>> 0;
      noisy[i] = 30 + ((s >>> 16) % 41) - 20; // dark, uniform noise ±20 (sigma ≈ 11.8)
    }
    const defaults = loadCameraConfig({}).camera;
    // Quality measured on every frame: the noisy frame is denoised at once.
    const counters = newCameraCounters();
    const params = { ...defaults, maxQueueDelayUs: 0, quality: { ...defaults.quality, everyFrames: 1 } };
    const core = new CameraCore({ detector: fakeDetector(), spec, params, counters, nowUs: () => 0 });
    await core.update(frame(1, await jpegFrame()), ctx(0));
    expect(counters.denoised).toBe(0);
    await core.update(frame(2, noisy, { encoding: 'rgb8', stride: w * 3 }), ctx(0));
    expect(counters.denoised).toBe(1);

    // Measured every 3rd frame (frames 100 ms apart, well inside maxAgeUs 500 ms): frames 2 and 3 reuse
    // the clean report of frame 1 (same reliability, no denoise); frame 4 is measured, noisy, denoised.
    const c3 = newCameraCounters();
    const every3 = new CameraCore({ detector: fakeDetector(), spec, params: { ...params, quality: { ...defaults.quality, everyFrames: 3, maxAgeUs: 500_000 } }, counters: c3, nowUs: () => 0 });
    const [clean] = await every3.update(frame(1, await jpegFrame()), ctx(0));
    const noisyFrame = (n: number) => frame(n, noisy, { encoding: 'rgb8', stride: w * 3 });
    const [r2] = await every3.update(noisyFrame(2), ctx(0));
    const [r3] = await every3.update(noisyFrame(3), ctx(0));
    expect(c3.denoised).toBe(0);
    expect(r2?.reliability).toBe(clean?.reliability);
    expect(r3?.reliability).toBe(clean?.reliability);
    const [r4] = await every3.update(noisyFrame(4), ctx(0));
    expect(c3.denoised).toBe(1);
    expect(c3.qualityMeasured).toBe(2);
    // Noise sigma ~11.8 against the reference 10 at least halves the reliability.
    expect(r4?.reliability ?? 1).toBeLessThan((clean?.reliability ?? 0) / 2);
  });
});
