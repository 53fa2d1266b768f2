import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { constantDetectorModel, loadCameraConfig, openCameraWorker } from '@sensorfuse/camera-worker';
import { cameraDetectionsSchema, cameraFrameSchema, type CameraDetections, type CameraFrame } from '@sensorfuse/schemas';
import { DEAD_LETTER_HEADERS, KafkaBus, headerText, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from './support/infra.js';

const T0 = 1_767_225_600_000_000;
const registry = new SchemaRegistry();
const frames = createCodec<CameraFrame>(registry, cameraFrameSchema);
const detections = createCodec<CameraDetections>(registry, cameraDetectionsSchema);

/** A 320x192 model that always answers one cyclist at model (40, 20)-(80, 100), score 0.75, as [N, 6] rows. */
function writeModel(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'camk-'));
  const modelPath = path.join(dir, 'det.onnx');
  writeFileSync(modelPath, constantDetectorModel(320, 192, { name: 'dets', dims: [1, 6], data: Float32Array.from([40, 20, 80, 100, 0.75, 1]) }));
  writeFileSync(
    path.join(dir, 'det.card.json'),
    JSON.stringify({
      name: 'kafka-test',
      inputs: [{ name: 'images', type: 'float32', shape: [1, 3, 192, 320] }],
      outputs: [{ name: 'dets', type: 'float32', shape: [1, 6] }],
      classes: ['person', 'bicycle'],
      postprocess: { layout: 'nms-n6' },
    }),
  );
  return modelPath;
}

function frame(seq: number, data: Buffer, width: number, height: number): CameraFrame {
  return { rigId: 'rig-k', sensorId: 'cam_front', seq, captureTimeUs: T0 + seq * 100_000, publishTimeUs: T0 + seq * 100_000 + 1000, frameId: 'cam_front', width, height, encoding: 'jpeg', stride: 0, data };
}

function read(bus: KafkaBus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: uniqueName('reader'), topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

it('camera worker over a real Kafka broker: JPEG frames to detections in source pixels keyed by rig, a truncated JPEG to the DLQ', async () => {
  const bus = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
  const input = uniqueName('raw.camera');
  const output = uniqueName('obs.camera');
  const config = {
    ...loadCameraConfig({ SENSORFUSE_CAMERA_MODEL_PATH: writeModel(), SENSORFUSE_CAMERA_CAMERA_MAX_QUEUE_DELAY_US: '0' }),
    inputTopic: input,
    outputTopic: output,
    groupId: uniqueName('camera-worker'),
  };
  const worker = await openCameraWorker(bus, config);
  try {
    await bus.admin.createTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
    ]);
    worker.start();
    // 1280x768 into 320x192: exact factor 4, no padding.
    const jpeg = await sharp({ create: { width: 1280, height: 768, channels: 3, background: { r: 120, g: 110, b: 100 } } }).jpeg().toBuffer();
    const truncated = jpeg.subarray(0, jpeg.length - 200);
    await bus.publish(input, [
      { key: 'rig-k', value: frames.encode(frame(1, jpeg, 1280, 768)) },
      { key: 'rig-k', value: frames.encode(frame(2, truncated, 1280, 768)) },
      { key: 'rig-k', value: frames.encode(frame(3, jpeg, 1280, 768)) },
    ]);
    const out = await read(bus, output, 2);
    const decoded = out.map((r) => detections.decode(r.value));
    expect(decoded.map((d) => d.seq)).toEqual([1, 3]);
    expect(out.map((r) => r.key)).toEqual(['rig-k', 'rig-k']);
    expect(decoded[0]?.detections).toEqual([{ box: { xMin: 160, yMin: 80, xMax: 320, yMax: 400 }, objectClass: 'cyclist', label: 'bicycle', score: 0.75 }]);
    const letters = await read(bus, `${input}.dlq`, 1);
    expect(headerText(letters[0]?.headers ?? {}, DEAD_LETTER_HEADERS.errorClass)).toBe('ImageDecodeError');
  } finally {
    await worker.drain();
    await bus.close();
  }
});
