import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { CameraFrame } from '@sensorfuse/schemas';
import { constantDetectorModel, randomYoloModel, type OnnxTensor } from './testing/onnx-builder.js';

export const LABELS = ['car', 'truck', 'pedestrian', 'cyclist', 'animal'];

/** A model file plus its card in a fresh temp dir. */
export function writeModel(bytes: Uint8Array, card: object): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'camdet-'));
  const modelPath = path.join(dir, 'model.onnx');
  writeFileSync(modelPath, bytes);
  writeFileSync(path.join(dir, 'model.card.json'), JSON.stringify(card));
  return modelPath;
}

/** A 320x192 model that always answers `output` in the given layout. */
export function constantModel(output: OnnxTensor, layout: string, outputShape: (number | string)[]): string {
  return writeModel(constantDetectorModel(320, 192, output), {
    name: 'constant-test',
    version: '1',
    inputs: [{ name: 'images', type: 'float32', shape: [1, 3, 192, 320] }],
    outputs: [{ name: output.name, type: 'float32', shape: outputShape }],
    classes: LABELS,
    postprocess: { layout },
  });
}

export function randomModel(): string {
  return writeModel(randomYoloModel(320, 192, LABELS.length), {
    name: 'random-yolo',
    inputs: [{ name: 'images', type: 'float32', shape: [1, 3, 192, 320] }],
    outputs: [{ name: 'output0', type: 'float32', shape: [1, 4 + LABELS.length, 'N'] }],
    classes: LABELS,
    postprocess: { layout: 'yolo' },
  });
}

/** A textured 640x384 JPEG (stripes plus a gradient). */
export async function jpegFrame(width = 640, height = 384): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = ((x >> 3) & 1) === 0 ? 40 : 200;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = ((y >> 4) & 1) === 0 ? 60 : 180;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

export function frame(seq: number, data: Uint8Array, over: Partial<CameraFrame> = {}): CameraFrame {
  return {
    rigId: 'rig-1',
    sensorId: 'cam_front',
    seq,
    captureTimeUs: 1_767_225_600_000_000 + seq * 100_000,
    publishTimeUs: 1_767_225_600_000_000 + seq * 100_000 + 1000,
    frameId: 'cam_front',
    width: 640,
    height: 384,
    encoding: 'jpeg',
    stride: 0,
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    ...over,
  };
}
