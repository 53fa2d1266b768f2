import { describe, expect, it } from 'vitest';
import { PIXEL_BACKGROUND } from './camera.js';
import { composeTransforms, invertTransform, rotationFromYawPitchRoll } from './geometry.js';
import { presetScenario } from './presets.js';
import { projectBox, projectPoint } from './projection.js';
import type { TruthRecord } from './records.js';
import { CoreSimulation } from './simulation-core.js';

describe('camera rendering against the projection of the truth', () => {
  it('draws each fully visible object where its truth box projects: centre on its silhouette, silhouette inside its 2D box', () => {
    const sc = presetScenario('crowded');
    const core = new CoreSimulation({ ...sc, durationS: 2 }, { seed: 5, sensors: ['camera'] });
    const cam = core.calibration.cameras[0];
    if (!cam) throw new Error('no camera');
    let checked = 0;
    let frames = 0;
    for (const r of core.records()) {
      if (r.kind !== 'truth') continue;
      const frame = core.lastCameraFrame;
      if (!frame) continue;
      frames++;
      const t: TruthRecord = r;
      const e = t.ego;
      // Projection built in the test from the published calibration and the truth ego pose.
      const cameraFromWorld = invertTransform(
        composeTransforms({ rotation: rotationFromYawPitchRoll(e.yawRad, e.pitchRad, e.rollRad), translation: e.positionM }, cam.egoFromSensor),
      );
      const W = frame.width;
      t.objects.forEach((o, k) => {
        const visible = o.camera?.visibleFraction ?? 0;
        const box = { center: o.box.centerM, length: o.box.lengthM, width: o.box.widthM, height: o.box.heightM, yaw: o.box.yawRad };
        const b2 = projectBox(cam.intrinsics, cameraFromWorld, box);
        if (visible < 0.999 || !b2) return;
        if ((b2.x2 - b2.x1) * (b2.y2 - b2.y1) < 150 || b2.x1 <= 0 || b2.y1 <= 0 || b2.x2 >= W || b2.y2 >= frame.height) return;
        const c = projectPoint(cam.intrinsics, cameraFromWorld, o.box.centerM);
        expect(c).toBeDefined();
        if (!c) return;
        expect(frame.ids[Math.floor(c.v) * W + Math.floor(c.u)]).toBe(k);
        let outside = 0;
        let pixels = 0;
        for (let i = 0; i < frame.ids.length; i++) {
          if (frame.ids[i] !== k) continue;
          pixels++;
          const u = (i % W) + 0.5;
          const v = Math.floor(i / W) + 0.5;
          if (u < b2.x1 - 1 || u > b2.x2 + 1 || v < b2.y1 - 1 || v > b2.y2 + 1) outside++;
        }
        expect(pixels).toBeGreaterThan(0);
        expect(outside).toBe(0);
        checked++;
      });
    }
    expect(frames).toBe(20);
    expect(checked).toBeGreaterThan(10);
  });

  it('marks an object hidden behind a nearer one as partly visible, and the nearer one wins the pixels', () => {
    const sc = presetScenario('crowded');
    const core = new CoreSimulation({ ...sc, durationS: 1 }, { seed: 5, sensors: ['camera'] });
    let partly = 0;
    for (const r of core.records()) {
      if (r.kind !== 'truth' || !core.lastCameraFrame) continue;
      const f = core.lastCameraFrame;
      for (let k = 0; k < r.objects.length; k++) {
        const v = f.visibleFraction[k] ?? 0;
        const o = r.objects[k];
        if (!o || v <= 0.05 || v >= 0.95) continue;
        partly++;
        // Where the object is hidden, the pixel belongs to something nearer: another object or clutter, never background.
        const b = o.camera?.box2d;
        if (!b) continue;
        let bg = 0;
        for (let y = Math.ceil(b.y1); y < Math.floor(b.y2); y++) {
          for (let x = Math.ceil(b.x1); x < Math.floor(b.x2); x++) if (f.ids[y * f.width + x] === PIXEL_BACKGROUND) bg++;
        }
        expect(bg).toBeLessThan((b.x2 - b.x1) * (b.y2 - b.y1));
      }
    }
    expect(partly).toBeGreaterThan(0);
  });
});
