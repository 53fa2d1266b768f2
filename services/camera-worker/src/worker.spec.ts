import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { ModelCardError, ModelNotFoundError } from '@sensorfuse/inference';
import { cameraDetectionsSchema, cameraFrameSchema, type CameraDetections, type CameraFrame } from '@sensorfuse/schemas';
import { ImagePreprocessor } from '@sensorfuse/image';
import { DEAD_LETTER_HEADERS, MemoryBus, headerText, type Bus, type ConsumedRecord } from '@sensorfuse/transport';
import sharp from 'sharp';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadCameraConfig } from './config.js';
import { CameraCore, newCameraCounters } from './core/camera-core.js';
import { DetectorOutputShapeError } from './core/errors.js';
import { openDetector } from './detector.js';
import { constantModel, frame, jpegFrame, randomModel } from './worker.spec-helper.js';
import { openCameraWorker } from './worker.js';

const registry = new SchemaRegistry();
const frames = createCodec<CameraFrame>(registry, cameraFrameSchema);
const detections = createCodec<CameraDetections>(registry, cameraDetectionsSchema);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = path.resolve(repoRoot, '../shared/data');

function read(bus: Bus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: `reader-${randomBytes(4).toString('hex')}`, topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

/** One car at model-input (10, 60)-(110, 100), score 0.875, in YOLOv7 end2end rows. */
const oneCar = { name: 'dets', dims: [1, 1, 7], data: Float32Array.from([0, 10, 60, 110, 100, 0, 0.875]) };

describe('camera worker on MemoryBus', () => {
  it('publishes detections in source pixels with the image quality, and dead-letters every kind of bad frame with its reason', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([
      { topic: 'raw.camera', partitions: 2 },
      { topic: 'obs.camera', partitions: 2 },
    ]);
    const config = loadCameraConfig({
      SENSORFUSE_CAMERA_MODEL_PATH: constantModel(oneCar, 'nms-1n7', [1, 1, 7]),
      SENSORFUSE_CAMERA_CAMERA_MAX_PIXELS: '300000',
      SENSORFUSE_CAMERA_CAMERA_MAX_QUEUE_DELAY_US: '0',
    });
    const worker = await openCameraWorker(bus, config);
    worker.start();
    try {
      const jpeg = await jpegFrame();
      const big = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
      const bad: [string, Buffer][] = [
        ['ImageDecodeError', frames.encode(frame(2, jpeg.subarray(0, jpeg.length >> 1)))],
        ['ImageDimensionError', frames.encode(frame(3, jpeg, { width: 1280 }))],
        ['ImageTooLargeError', frames.encode(frame(4, big, { width: 800, height: 600, encoding: 'png' }))],
        ['ImageDimensionError', frames.encode(frame(5, new Uint8Array(0), { width: 0, height: 0, encoding: 'rgb8' }))],
        ['ImageDimensionError', frames.encode(frame(6, new Uint8Array(100), { encoding: 'rgb8', stride: 1920 }))],
      ];
      await bus.publish('raw.camera', [
        { key: 'rig-1', value: frames.encode(frame(1, jpeg)) },
        ...bad.map(([, value]) => ({ key: 'rig-1', value })),
        { key: 'rig-1', value: frames.encode(frame(7, jpeg)) },
      ]);
      const letters = await read(bus, 'raw.camera.dlq', bad.length);
      expect(letters.map((l) => headerText(l.headers, DEAD_LETTER_HEADERS.errorClass))).toEqual(bad.map(([reason]) => reason));
      expect(headerText(letters[1]?.headers ?? {}, DEAD_LETTER_HEADERS.errorMessage)).toMatch(/declares 1280x384, the bytes are 640x384/);
      const out = (await read(bus, 'obs.camera', 2)).map((r) => detections.decode(r.value));
      expect(out.map((o) => o.seq)).toEqual([1, 7]);
      const first = out[0];
      expect(first?.imageWidth).toBe(640);
      expect(first?.modelId).toBe('constant-test@1');
      // 640x384 into 320x192 is an exact 0.5 scale with no pad: the source box is twice the model box.
      expect(first?.detections).toEqual([{ box: { xMin: 20, yMin: 120, xMax: 220, yMax: 200 }, objectClass: 'car', label: 'car', score: 0.875 }]);
      // Stripes and a gradient: sharp, balanced, nothing blocked.
      expect(first?.quality.blockage).toBe(0);
      expect(first?.reliability).toBeGreaterThan(0.5);
      expect(worker.stats()).toMatchObject({ consumed: 7, processed: 2, deadLettered: 5 });
      // Waiting frames were pre-processed ahead of the core, while the frame before was in inference.
      expect(worker.prefetched()).toBeGreaterThanOrEqual(1);
    } finally {
      await worker.drain();
    }
  });

  it('restarts a crashed pre-processing thread and keeps serving: the next frame is processed', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([
      { topic: 'raw.camera', partitions: 1 },
      { topic: 'obs.camera', partitions: 1 },
    ]);
    const config = loadCameraConfig({
      SENSORFUSE_CAMERA_MODEL_PATH: constantModel(oneCar, 'nms-1n7', [1, 1, 7]),
      SENSORFUSE_CAMERA_CAMERA_MAX_QUEUE_DELAY_US: '0',
    });
    let crashed = (): void => undefined;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    const preprocessor = await ImagePreprocessor.open({ restartDelayMs: 10, onCrash: () => { crashed(); } });
    const worker = await openCameraWorker(bus, config, { preprocessor });
    worker.start();
    try {
      const jpeg = await jpegFrame();
      await bus.publish('raw.camera', [{ key: 'rig-1', value: frames.encode(frame(1, jpeg)) }]);
      expect((await read(bus, 'obs.camera', 1)).map((r) => detections.decode(r.value).seq)).toEqual([1]);
      // The thread dies between frames (as a native crash in libvips would end it).
      preprocessor.kill();
      await crash;
      await bus.publish('raw.camera', [{ key: 'rig-1', value: frames.encode(frame(2, jpeg)) }]);
      const out = (await read(bus, 'obs.camera', 2)).map((r) => detections.decode(r.value));
      expect(out.map((o) => o.seq)).toEqual([1, 2]);
      expect(out[1]?.detections).toEqual(out[0]?.detections);
      expect(worker.preprocessorRestarts()).toBe(1);
      expect(worker.stats()).toMatchObject({ processed: 2, deadLettered: 0 });
    } finally {
      await worker.drain();
      await preprocessor.close();
    }
  });

  it('refuses to start on a missing model or an output shape the layout cannot decode, naming model and shape', async () => {
    await expect(openDetector({ path: '/nonexistent/model.onnx', cardPath: '', layout: 'card', workers: 1, intraOpThreads: 1 })).rejects.toBeInstanceOf(ModelNotFoundError);
    const wrong = constantModel({ name: 'dets', dims: [1, 3, 8], data: new Float32Array(24) }, 'yolo', [1, 3, 8]);
    const opening = openDetector({ path: wrong, cardPath: '', layout: 'card', workers: 1, intraOpThreads: 1 });
    await expect(opening).rejects.toBeInstanceOf(DetectorOutputShapeError);
    await expect(opening).rejects.toThrow(/model constant-test: output layout yolo expects \[1, 9, N\].*gives \[1, 3, 8\]/);
    // A card that disagrees with the model file itself is caught by the pool.
    const lying = constantModel({ name: 'dets', dims: [1, 1, 7], data: new Float32Array(7) }, 'nms-1n7', [1, 2, 7]);
    await expect(openDetector({ path: lying, cardPath: '', layout: 'card', workers: 1, intraOpThreads: 1 })).rejects.toBeInstanceOf(ModelCardError);
  });

  it('decodes the yolo layout through the real pool: class-wise NMS and the letterbox inverse on a KITTI-shaped frame', async () => {
    // Three anchors [cx, cy, w, h, 5 scores], channel-first [1, 9, 3].
    const anchors = [
      [160, 96, 40, 20, 0.1, 0.9, 0, 0, 0], // truck at 140..180 x 86..106
      [162, 96, 40, 20, 0.1, 0.8, 0, 0, 0], // same truck, IoU 0.905 → suppressed
      [162, 96, 40, 20, 0, 0, 0.7, 0, 0], // pedestrian at the same place → kept
    ];
    const data = new Float32Array(27);
    anchors.forEach((a, i) => {
      a.forEach((v, k) => {
        data[k * 3 + i] = v;
      });
    });
    const opened = await openDetector({ path: constantModel({ name: 'output0', dims: [1, 9, 3], data }, 'yolo', [1, 9, 'N']), cardPath: '', layout: 'card', workers: 1, intraOpThreads: 1 });
    try {
      const params = loadCameraConfig({}).camera;
      const core = new CameraCore({ ...opened, params: { ...params, maxQueueDelayUs: 0 }, counters: newCameraCounters(), nowUs: () => 0 });
      const png = await sharp({ create: { width: 1242, height: 375, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toBuffer();
      const [out] = await core.update(frame(1, png, { width: 1242, height: 375, encoding: 'png' }), { receivedAtUs: 0, topic: 't', partition: 0, offset: '0' });
      expect(out?.detections.map((d) => [d.objectClass, d.label])).toEqual([
        ['truck', 'truck'],
        ['pedestrian', 'pedestrian'],
      ]);
      // x: 140 * 1242 / 320 = 543.375; y: (86 − 47) * 375 / 97 = 150.773...
      const box = out?.detections[0]?.box;
      expect(box?.xMin).toBeCloseTo(543.375, 6);
      expect(box?.yMin).toBeCloseTo((39 * 375) / 97, 6);
      expect(box?.xMax).toBeCloseTo((180 * 1242) / 320, 6);
      expect(box?.yMax).toBeCloseTo((59 * 375) / 97, 6);
      // A flat grey frame: nothing to see, every tile blocked.
      expect(out?.quality.blockage).toBe(1);
      expect(out?.reliability).toBe(0);
    } finally {
      await opened.close();
    }
  });

  it('decodes the post-NMS [N, 6] layout through the real pool and maps it back through the letterbox', async () => {
    // Rows x1 y1 x2 y2 score class in model-input pixels (320x192; a 1242x375 frame is drawn 320x97 at row 47).
    const rows = [
      [10, 100, 30, 140, 0.6, 2], // pedestrian
      [140, 86, 180, 106, 0.9, 1], // truck
      [50, 60, 90, 80, 0.2, 0], // car below the 0.25 score threshold → dropped
      [100, 0, 200, 40, 0.95, 0], // entirely in the top padding → dropped
    ];
    const opened = await openDetector({ path: constantModel({ name: 'output0', dims: [4, 6], data: Float32Array.from(rows.flat()) }, 'nms-n6', ['N', 6]), cardPath: '', layout: 'card', workers: 1, intraOpThreads: 1 });
    try {
      const params = loadCameraConfig({}).camera;
      const core = new CameraCore({ ...opened, params: { ...params, maxQueueDelayUs: 0 }, counters: newCameraCounters(), nowUs: () => 0 });
      const png = await sharp({ create: { width: 1242, height: 375, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toBuffer();
      const [out] = await core.update(frame(1, png, { width: 1242, height: 375, encoding: 'png' }), { receivedAtUs: 0, topic: 't', partition: 0, offset: '0' });
      expect(out?.detections.map((d) => [d.objectClass, d.score])).toEqual([
        ['truck', expect.closeTo(0.9, 6) as number],
        ['pedestrian', expect.closeTo(0.6, 6) as number],
      ]);
      // Hand calculation: x * 1242 / 320, (y − 47) * 375 / 97.
      const ped = out?.detections[1]?.box;
      expect(ped?.xMin).toBeCloseTo((10 * 1242) / 320, 6);
      expect(ped?.yMin).toBeCloseTo((53 * 375) / 97, 6);
      expect(ped?.xMax).toBeCloseTo((30 * 1242) / 320, 6);
      expect(ped?.yMax).toBeCloseTo((93 * 375) / 97, 6);
    } finally {
      await opened.close();
    }
  });

  it('runs the KITTI and nuScenes images end to end through decode, letterbox, the pool and the decoder', async () => {
    const files = [
      ...(existsSync(path.join(dataDir, 'kitti/image_2')) ? readdirSync(path.join(dataDir, 'kitti/image_2')).map((f) => path.join(dataDir, 'kitti/image_2', f)) : []),
      ...(existsSync(path.join(dataDir, 'nuscenes-sample')) ? readdirSync(path.join(dataDir, 'nuscenes-sample')).filter((f) => f.endsWith('.jpg')).map((f) => path.join(dataDir, 'nuscenes-sample', f)) : []),
    ];
    if (files.length === 0) {
      console.warn('skipped: ../shared/data/kitti and nuscenes-sample absent');
      return;
    }
    const opened = await openDetector({ path: randomModel(), cardPath: '', layout: 'card', workers: 1, intraOpThreads: 1 });
    try {
      const params = loadCameraConfig({}).camera;
      const core = new CameraCore({ ...opened, params: { ...params, maxQueueDelayUs: 0 }, counters: newCameraCounters(), nowUs: () => 0 });
      let seq = 1;
      for (const file of files) {
        const bytes = readFileSync(file);
        const meta = await sharp(bytes).metadata();
        const f = frame(seq++, bytes, { width: meta.width, height: meta.height, encoding: file.endsWith('.png') ? 'png' : 'jpeg' });
        const [out] = await core.update(f, { receivedAtUs: 0, topic: 't', partition: 0, offset: '0' });
        console.log(`${path.basename(file)}: blur ${String(out?.quality.blur.toFixed(3))} exposure ${String(out?.quality.exposure.toFixed(3))} blockage ${String(out?.quality.blockage.toFixed(3))} reliability ${String(out?.reliability.toFixed(3))}`);
        expect(out?.imageWidth).toBe(meta.width);
        for (const d of out?.detections ?? []) {
          expect(d.box.xMin).toBeGreaterThanOrEqual(0);
          expect(d.box.xMax).toBeLessThanOrEqual(meta.width);
          expect(d.box.yMax).toBeLessThanOrEqual(meta.height);
        }
      }
    } finally {
      await opened.close();
    }
  });
});
