import { ImageDecodeError, type EncodedImage, type PreprocessOptions, type PreprocessResult } from '@sensorfuse/image';
import type { ConsumedRecord } from '@sensorfuse/transport';
import { describe, expect, it } from 'vitest';
import type { Detector, FramePreprocessor } from './core/camera-core.js';
import { FramePrefetcher } from './frame-prefetcher.js';

const OPTIONS: PreprocessOptions = {
  maxPixels: 100,
  width: 2,
  height: 2,
  padValue: 0,
  normalise: { scale: 1, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb' },
  quality: { blurReferenceVariance: 1, noiseReferenceSigma: 1, underExposedLevel: 0, overExposedLevel: 255, blockageGrid: 1, blockageStdThreshold: 0 },
  denoise: { mode: 'off', noiseSigmaThreshold: 0, medianSize: 3 },
};

/** A preprocessor that records each request and answers when told to (the image's first byte names the frame). */
function fakePreprocessor(): FramePreprocessor & { started: number[]; recycled: Float32Array[]; finish(): void } {
  const waiting: (() => void)[] = [];
  const p = {
    started: [] as number[],
    recycled: [] as Float32Array[],
    run(image: EncodedImage): Promise<PreprocessResult> {
      const id = image.data[0] ?? -1;
      p.started.push(id);
      return new Promise<PreprocessResult>((resolve, reject) => {
        waiting.push(() => {
          if (id === 99) reject(new ImageDecodeError('frame 99: corrupt'));
          else resolve({ sourceWidth: 2, sourceHeight: 2, geometry: undefined as never, quality: undefined as never, qualityAgeUs: 0, denoised: false, tensor: Float32Array.of(id) });
        });
      });
    },
    recycle(t: Float32Array): void {
      p.recycled.push(t);
    },
    finish(): void {
      for (const done of waiting.splice(0)) done();
    },
  };
  return p;
}

const image = (id: number) => ({ width: 1, height: 1, encoding: 'gray8' as const, stride: 1, data: Uint8Array.of(id), rigId: 'rig', sensorId: 'cam', captureTimeUs: id });
const record = (offset: number, id: number, timestampUs = 0): ConsumedRecord => ({
  topic: 'raw.camera',
  partition: 0,
  offset: String(offset),
  key: 'rig',
  rawKey: null,
  value: Buffer.from([id]),
  headers: {},
  timestampUs,
  commit: () => Promise.resolve(),
});
const at = (offset: number) => ({ topic: 'raw.camera', partition: 0, offset: String(offset) });
const decode = (value: Buffer): ReturnType<typeof image> => {
  if (value[0] === 77) throw new Error('not Avro');
  return image(value[0] ?? -1);
};


/** A detector that records which frame each run got (the tensor's first value) and answers when told to. */
function fakeDetector(): Detector & { calls: number[]; finish(error?: Error): void } {
  const waiting: { input: Float32Array; resolve: (o: Awaited<ReturnType<Detector['run']>>) => void; reject: (e: Error) => void }[] = [];
  const d = {
    calls: [] as number[],
    run(input: Float32Array): ReturnType<Detector['run']> {
      d.calls.push(input[0] ?? -1);
      return new Promise((resolve, reject) => {
        waiting.push({ input, resolve, reject });
      });
    },
    /** Finish the oldest run: its output is the frame number times 10, its input handed back. */
    finish(error?: Error): void {
      const w = waiting.shift();
      if (w === undefined) throw new Error('no inference running');
      if (error !== undefined) w.reject(error);
      else w.resolve({ dims: [1, 1], data: Float32Array.of((w.input[0] ?? 0) * 10), input: w.input });
    },
  };
  return d;
}
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const DIMS = [1, 3, 2, 2];

describe('FramePrefetcher', () => {
  it('pre-processes the next waiting frame while the current one is in inference, each frame once', async () => {
    const pre = fakePreprocessor();
    const f = new FramePrefetcher({ preprocessor: pre, options: OPTIONS, decode, maxQueueDelayUs: 0, nowUs: () => 0 });
    for (const n of [1, 2, 3]) f.offer(record(n, n));
    expect(pre.started).toEqual([1]); // one frame ahead, not the whole backlog
    const first = f.run(image(1), OPTIONS, at(1));
    expect(pre.started).toEqual([1, 2]); // frame 2 starts as soon as frame 1 is handed over
    pre.finish();
    expect((await first).tensor[0]).toBe(1);
    const second = f.run(image(2), OPTIONS, at(2));
    expect(pre.started).toEqual([1, 2, 3]);
    pre.finish();
    expect((await second).tensor[0]).toBe(2);
    const third = f.run(image(3), OPTIONS, at(3));
    pre.finish();
    expect((await third).tensor[0]).toBe(3);
    expect(pre.started).toEqual([1, 2, 3]);
    expect(f.prefetched).toBe(3);
  });

  it('drops work for a frame the core never asked for, recycling its tensor, and skips stale and undecodable records', async () => {
    const pre = fakePreprocessor();
    let now = 1_000_000;
    const f = new FramePrefetcher({ preprocessor: pre, options: OPTIONS, decode, maxQueueDelayUs: 200_000, nowUs: () => now });
    f.offer(record(1, 1, now)); // started ahead, then dead-lettered by the plumbing: never asked for
    f.offer(record(2, 2, now - 500_000)); // already stale: the core will drop it
    f.offer(record(3, 77, now)); // not decodable: the plumbing dead-letters it
    f.offer(record(4, 4, now));
    expect(pre.started).toEqual([1]);
    now += 1000;
    pre.finish();
    const r4 = f.run(image(4), OPTIONS, at(4));
    expect(pre.started).toEqual([1, 4]);
    pre.finish();
    expect((await r4).tensor[0]).toBe(4);
    await Promise.resolve();
    expect(pre.recycled.map((t) => t[0])).toEqual([1]);
    expect(f.discarded).toBe(1);
    expect(f.prefetched).toBe(0);
  });

  it('moves past frames the core drops, so a flood of stale frames holds no work and no records', async () => {
    const pre = fakePreprocessor();
    const f = new FramePrefetcher({ preprocessor: pre, options: OPTIONS, decode, maxQueueDelayUs: 0, nowUs: () => 0 });
    for (let n = 1; n <= 50; n++) f.offer(record(n, n));
    expect(pre.started).toEqual([1]);
    expect(f.waiting).toBe(50);
    pre.finish();
    f.passed(at(1)); // dropped by the core (say, stale): its work is dropped, the next frame starts
    expect(pre.started).toEqual([1, 2]);
    for (let n = 2; n <= 49; n++) {
      pre.finish();
      f.passed(at(n));
    }
    expect(f.waiting).toBe(1); // only frame 50, being prepared
    const last = f.run(image(50), OPTIONS, at(50));
    pre.finish();
    expect((await last).tensor[0]).toBe(50);
    expect(f.waiting).toBe(0);
    await Promise.resolve();
    expect(pre.recycled.length).toBe(49);
    expect([f.prefetched, f.discarded]).toEqual([1, 49]);
  });

  it('hands a bad image back as its typed error when the core asks for it, and never leaves a rejection unhandled', async () => {
    const pre = fakePreprocessor();
    const f = new FramePrefetcher({ preprocessor: pre, options: OPTIONS, decode, maxQueueDelayUs: 0, nowUs: () => 0 });
    f.offer(record(1, 99));
    f.offer(record(2, 2));
    pre.finish(); // frame 99 fails before anyone asks for it
    await new Promise((resolve) => setImmediate(resolve));
    await expect(f.run(image(99), OPTIONS, at(1))).rejects.toBeInstanceOf(ImageDecodeError);
    const r2 = f.run(image(2), OPTIONS, at(2));
    pre.finish();
    expect((await r2).tensor[0]).toBe(2);
    // A frame it never saw (no position, or not offered) goes straight to the preprocessor.
    const direct = f.run(image(5), OPTIONS);
    pre.finish();
    expect((await direct).tensor[0]).toBe(5);
    f.close();
    f.offer(record(3, 3));
    expect(pre.started).toEqual([99, 2, 5]);
  });
  it('starts the prepared frame in inference the moment the detector is free, before the core asks, and hands the core that inference', async () => {
    const pre = fakePreprocessor();
    const inner = fakeDetector();
    const f = new FramePrefetcher({ preprocessor: pre, options: OPTIONS, decode, maxQueueDelayUs: 0, nowUs: () => 0 });
    const detector = f.detector(inner);
    for (const n of [1, 2, 3]) f.offer(record(n, n));
    pre.finish();
    await settle();
    expect(inner.calls).toEqual([1]); // the detector was free: frame 1 went straight on
    // The core's turn for frame 1: it gets the prepared frame and the inference already running.
    const pre1 = await f.run(image(1), OPTIONS, at(1));
    const out1 = detector.run(pre1.tensor, DIMS);
    expect(inner.calls).toEqual([1]);
    pre.finish(); // frame 2 prepared while frame 1 is in inference: it waits, one inference at a time
    await settle();
    expect(inner.calls).toEqual([1]);
    inner.finish();
    const r1 = await out1;
    expect(r1.data[0]).toBe(10);
    expect(inner.calls).toEqual([1, 2]); // frame 2 started before the core saw frame 1's result
    const pre2 = await f.run(image(2), OPTIONS, at(2));
    const out2 = detector.run(pre2.tensor, DIMS);
    pre.finish();
    inner.finish();
    expect((await out2).data[0]).toBe(20);
    expect(inner.calls).toEqual([1, 2, 3]);
    const pre3 = await f.run(image(3), OPTIONS, at(3));
    const out3 = detector.run(pre3.tensor, DIMS);
    inner.finish();
    expect((await out3).data[0]).toBe(30);
    expect(inner.calls).toEqual([1, 2, 3]); // each frame inferred once
    expect([f.prefetched, f.inferredAhead]).toEqual([3, 3]);
    // A tensor it did not start goes to the detector as it is.
    const direct = detector.run(Float32Array.of(7), DIMS);
    inner.finish();
    expect((await direct).data[0]).toBe(70);
  });

  it('does not start ahead a frame the core would drop, and recycles the tensor of one the core drops after all', async () => {
    const pre = fakePreprocessor();
    const inner = fakeDetector();
    let now = 1_000_000;
    const f = new FramePrefetcher({ preprocessor: pre, options: OPTIONS, decode, maxQueueDelayUs: 200_000, minFrameIntervalUs: 5, nowUs: () => now });
    const detector = f.detector(inner);
    f.offer(record(1, 1, now));
    f.offer(record(2, 3, now)); // capture time 3: closer than 5 µs to frame 1, thinned by the core
    f.offer(record(3, 10, now)); // capture time 10
    f.offer(record(4, 20, now)); // capture time 20
    pre.finish();
    await settle();
    const pre1 = await f.run(image(1), OPTIONS, at(1));
    const out1 = detector.run(pre1.tensor, DIMS);
    pre.finish(); // frame 3 (capture 3) prepared
    await settle();
    inner.finish();
    await out1;
    expect(inner.calls).toEqual([1]); // capture 3 is within the interval after capture 1: not started
    f.passed(at(2)); // the core thins it out
    pre.finish(); // frame 10 prepared: the detector is free, it starts
    await settle();
    expect(inner.calls).toEqual([1, 10]);
    // The core drops it after all (say its own clock found it stale): its result is thrown away and
    // its tensor recycled when it comes back from the inference thread.
    f.passed(at(3));
    expect(pre.recycled.map((t) => t[0])).toEqual([3]);
    inner.finish();
    await settle();
    expect(pre.recycled.map((t) => t[0])).toEqual([3, 10]);
    // Frame 20 was prepared meanwhile but is stale by now: not started (the core will drop it).
    now += 300_000;
    pre.finish();
    await settle();
    expect(inner.calls).toEqual([1, 10]);
    expect([f.inferredAhead, f.discarded]).toEqual([1, 2]);
  });

  it('hands an inference failure of a frame started ahead to the core when it asks for that frame', async () => {
    const pre = fakePreprocessor();
    const inner = fakeDetector();
    const f = new FramePrefetcher({ preprocessor: pre, options: OPTIONS, decode, maxQueueDelayUs: 0, nowUs: () => 0 });
    const detector = f.detector(inner);
    f.offer(record(1, 1));
    f.offer(record(2, 2));
    pre.finish();
    await settle();
    inner.finish(new Error('inference thread died')); // fails before the core asks
    await settle();
    const pre1 = await f.run(image(1), OPTIONS, at(1));
    await expect(detector.run(pre1.tensor, DIMS)).rejects.toThrow('inference thread died');
    pre.finish(); // the detector is free again: frame 2 starts
    await settle();
    expect(inner.calls).toEqual([1, 2]);
    const pre2 = await f.run(image(2), OPTIONS, at(2));
    const out2 = detector.run(pre2.tensor, DIMS);
    inner.finish();
    expect((await out2).data[0]).toBe(20);
  });
});
