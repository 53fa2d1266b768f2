import { existsSync } from 'node:fs';
import { createSimulation, presetScenario, toCameraFrame, type CameraRecord, type TruthRecord } from '@sensorfuse/simulator';
import type { Detection2d } from '@sensorfuse/schemas';
import { describe, expect, it } from 'vitest';
import { loadCameraConfig, SHIPPED_MODEL_PATH } from './config.js';
import { CameraCore, newCameraCounters } from './core/camera-core.js';
import { openDetector } from './detector.js';

// Held-out seed: the shipped model was trained on seeds 1-12 and its checkpoint chosen on 90-91 (tools/train-detector,
// models/sim-detector/MODEL_CARD.md); 101-103 were used for neither.
const HELD_OUT_SEED = 103;

interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

function iou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const ih = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = iw * ih;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/** Every object in view (any class, any visible fraction), clipped to the image. */
function objectsInView(truth: TruthRecord, width: number, height: number): Box[] {
  const out: Box[] = [];
  for (const o of truth.objects) {
    const b = o.camera?.box2d;
    if (b === undefined || (o.camera?.visibleFraction ?? 0) <= 0) continue;
    const box = { x1: Math.max(0, b.x1), y1: Math.max(0, b.y1), x2: Math.min(width, b.x2), y2: Math.min(height, b.y2) };
    if (box.x2 > box.x1 && box.y2 > box.y1) out.push(box);
  }
  return out;
}

/** Cars the simulator says are clearly in view: ≥ 50 % of the silhouette unoccluded, ≥ 16 px on both sides (clipped to the image). */
function visibleCars(truth: TruthRecord, width: number, height: number): Box[] {
  const out: Box[] = [];
  for (const o of truth.objects) {
    const b = o.camera?.box2d;
    if (o.objectClass !== 'car' || b === undefined || (o.camera?.visibleFraction ?? 0) < 0.5) continue;
    const box = { x1: Math.max(0, b.x1), y1: Math.max(0, b.y1), x2: Math.min(width, b.x2), y2: Math.min(height, b.y2) };
    if (box.x2 - box.x1 >= 16 && box.y2 - box.y1 >= 16) out.push(box);
  }
  return out;
}

describe('the shipped simulator detector (models/sim-detector) in the camera core', () => {
  it('finds the visible cars of held-out simulator frames at IoU 0.5', async () => {
    if (!existsSync(SHIPPED_MODEL_PATH)) {
      console.warn(`skipped: ${SHIPPED_MODEL_PATH} absent`);
      return;
    }
    const config = loadCameraConfig({});
    expect(config.model.path).toBe(SHIPPED_MODEL_PATH); // the default, resolved from the package
    const opened = await openDetector(config.model);
    const core = new CameraCore({ detector: opened.detector, spec: opened.spec, params: { ...config.camera, maxQueueDelayUs: 0 }, counters: newCameraCounters(), nowUs: () => 0 });
    const cams = new Map<number, CameraRecord>();
    const truths = new Map<number, TruthRecord>();
    let cars = 0;
    let found = 0;
    let carDetections = 0;
    let phantoms = 0;
    let frames = 0;
    try {
      for await (const r of createSimulation({ ...presetScenario('urban-day'), durationS: 4 }, { seed: HELD_OUT_SEED, sensors: ['camera'] })) {
        if (r.kind === 'camera') cams.set(r.seq, r);
        else if (r.kind === 'truth') truths.set(r.forSeq, r);
        else continue;
        const seq = r.kind === 'camera' ? r.seq : r.forSeq;
        const cam = cams.get(seq);
        const truth = truths.get(seq);
        if (cam === undefined || truth === undefined || seq % 5 !== 0) continue; // every 5th frame (JPEG, as on the wire)
        const [out] = await core.update(toCameraFrame(cam), { receivedAtUs: 0, topic: 'raw.camera', partition: 0, offset: '0' });
        const dets: readonly Detection2d[] = out?.detections ?? [];
        const carBoxes = dets.filter((d) => d.objectClass === 'car').map((d) => ({ x1: d.box.xMin, y1: d.box.yMin, x2: d.box.xMax, y2: d.box.yMax }));
        carDetections += carBoxes.length;
        const inView = objectsInView(truth, cam.width, cam.height);
        phantoms += carBoxes.filter((d) => !inView.some((o) => iou(d, o) >= 0.3)).length;
        for (const gt of visibleCars(truth, cam.width, cam.height)) {
          cars++;
          if (carBoxes.some((d) => iou(d, gt) >= 0.5)) found++;
        }
        frames++;
      }
    } finally {
      await opened.close();
    }
    console.log(`shipped detector, urban-day seed ${String(HELD_OUT_SEED)}: ${String(frames)} frames, found ${String(found)}/${String(cars)} visible cars, ${String(carDetections)} car detections, ${String(phantoms)} on no object`);
    expect(frames).toBeGreaterThanOrEqual(8);
    expect(cars).toBeGreaterThanOrEqual(10);
    // Measured car recall on held-out seeds 101-102 (all presets, objects >= 30 % visible and >= 8 px) is 80 %
    // (MODEL_CARD.md); these cars are easier (>= 50 % visible, >= 16 px). A random-weight model finds none.
    expect(found / cars).toBeGreaterThanOrEqual(0.6);
    // ... and not by spraying boxes: few car detections lie on no object at all.
    expect(phantoms).toBeLessThanOrEqual(0.25 * carDetections);
  });
});
