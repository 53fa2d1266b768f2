import { describe, expect, it } from 'vitest';
import type { AudioEvents, CameraDetections, LidarObjects, RigCalibration } from '@sensorfuse/schemas';
import { frameOf, header, T0 } from '../real-data.spec-helper.js';
import { projectIntoCamera } from './associate.js';
import { resolveCalibration } from './calibration.js';
import { deserializeFusionState, serializeFusionState } from './output.js';
import { DEFAULT_FUSION_PARAMS } from './params.js';
import type { FusionParams, FusionPayload, FusionState } from './types.js';
import { calibrateCameraScores, cameraForFusion, createFusionState, update } from './update.js';

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const CAM_TO_BODY = [0, 0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1];
// Microphone array 1 m behind the origin, turned to face +y (yaw +90°).
const MIC_TO_BODY = [0, -1, 0, -1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const calibration = resolveCalibration({
  rigId: 'rig', version: 1, validFromUs: 0,
  sensors: [
    { sensorId: 'lidar', modality: 'lidar', frameId: 'lidar', extrinsics: { parentFrameId: 'base_link', childFrameId: 'lidar', transform: IDENTITY }, cameraIntrinsics: null, microphoneArray: null, clockOffsetUs: 0 },
    { sensorId: 'cam', modality: 'camera', frameId: 'cam', extrinsics: { parentFrameId: 'base_link', childFrameId: 'cam', transform: CAM_TO_BODY }, cameraIntrinsics: { width: 1280, height: 720, fx: 1000, fy: 1000, cx: 640, cy: 360, distortionModel: 'none', distortionCoefficients: [] }, microphoneArray: null, clockOffsetUs: 0 },
    { sensorId: 'mic', modality: 'audio', frameId: 'mic', extrinsics: { parentFrameId: 'base_link', childFrameId: 'mic', transform: MIC_TO_BODY }, cameraIntrinsics: null, microphoneArray: { positions: [], speedOfSoundMps: 343 }, clockOffsetUs: 0 },
  ],
} satisfies RigCalibration);
// The hand calculations below take the detector's score as it is: no camera score calibration (its own tests are
// at the end of the file).
const RAW_SCORES = { ...DEFAULT_FUSION_PARAMS, cameraScoreCalibration: {} };
const ctx = (t: number) => ({ params: RAW_SCORES, nowUs: t + 20_000 });

function lidar(seq: number, t: number, objects: { x: number; y: number; cls?: 'car' | 'unknown' | 'pedestrian' }[]): LidarObjects {
  return {
    ...header('lidar', seq, t, 'lidar'),
    objects: objects.map((o, i) => ({ clusterId: i, centroid: { x: o.x, y: o.y, z: 0 }, extent: { x: 4, y: 2, z: 1.5 }, yawRad: 0, pointCount: 100, meanIntensity: 0, classHint: o.cls ?? 'car' })),
    inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
  };
}

function camera(seq: number, t: number, boxes: { xMin: number; yMin: number; xMax: number; yMax: number }[], cls: 'car' | 'pedestrian' = 'car'): CameraDetections {
  return {
    ...header('cam', seq, t, 'cam'), imageWidth: 1280, imageHeight: 720,
    detections: boxes.map((box) => ({ box, objectClass: cls, label: cls, score: 0.9 })),
    quality: { blur: 0, exposure: 0, blockage: 0 }, reliability: 0.9, modelId: 'test',
  };
}

function audio(t: number, bearingRad: number): { audio: { select: 'overlapping'; samples: { record: { sensorId: string; seq: number; captureTimeUs: number; payload: FusionPayload }; timeUs: number; offsetFromPivotUs: number }[] } } {
  const value: AudioEvents = {
    ...header('mic', 1, t, 'mic'), windowDurationUs: 100_000,
    events: [{ eventClass: 'siren', score: 0.8, onsetUs: t, offsetUs: t + 100_000, bearingRad, bearingStdRad: 0.05, snrDb: 15 }],
    voiceProbability: 0, snrDb: 15, reliability: 0.8,
  };
  return { audio: { select: 'overlapping', samples: [{ record: { sensorId: 'mic', seq: 1, captureTimeUs: t, payload: { kind: 'audio', value } }, timeUs: t, offsetFromPivotUs: 0 }] } };
}

describe('fusion core update', () => {
  it('matches a siren to the car in its direction, and reports a siren nobody sees as an event', () => {
    // Car at (10, 9): from the mic at (−1, 0) its bearing is atan2(9, 11) in the body; the array is turned +90°.
    const bearingBody = Math.atan2(9, 11);
    const seen = update(frameOf(lidar(1, T0, [{ x: 10, y: 9 }]), [], audio(T0, bearingBody - Math.PI / 2)), calibration, createFusionState('rig'), ctx(T0));
    expect(seen.output.counts.audioMatched).toBe(1);
    expect(seen.output.detections[0]?.evidence.map((e) => e.modality)).toEqual(['lidar', 'audio']);
    expect(seen.output.events.filter((e) => e.kind === 'siren-unseen')).toEqual([]);
    const unseen = update(frameOf(lidar(1, T0, [{ x: 10, y: 9 }]), [], audio(T0, -Math.PI / 2 - bearingBody)), calibration, createFusionState('rig'), ctx(T0));
    expect(unseen.output.counts.audioMatched).toBe(0);
    const event = unseen.output.events.find((e) => e.kind === 'siren-unseen');
    expect(event?.bearingRad).toBeCloseTo(-bearingBody, 9);
  });

  it('places a camera box beyond LIDAR range at the depth its height implies (pinhole, class height, to the centre)', () => {
    // A car (1.6 m tall) 20 px high with f = 1000 px has its near face 80 m away; its centre is a quarter of
    // (4.5 + 1.9) m further: 81.6 m. Centred 50 px right of the principal point → y = −50/1000 · 81.6 = −4.08 m.
    const box = { xMin: 680, xMax: 700, yMin: 350, yMax: 370 };
    const { output } = update(frameOf(lidar(1, T0, []), [camera(1, T0, [box])]), calibration, createFusionState('rig'), ctx(T0));
    expect(output.detections).toHaveLength(1);
    const d = output.detections[0];
    expect(d?.origin).toBe('camera-only');
    expect(d?.x).toBeCloseTo(81.6, 6);
    expect(d?.y).toBeCloseTo(-4.08, 6);
    expect(d?.objectClass).toBe('car');
    // Beyond range the camera counts at full weight: score = detector score × camera reliability.
    expect(d?.score).toBeCloseTo(0.9 * 0.9, 9);
  });

  /** A 12 m × 2 m cluster ahead, x 9–21 m: a hedge merged with whatever stands in it. */
  const mergedHedge = (): LidarObjects => ({
    ...header('lidar', 1, T0, 'lidar'),
    objects: [{ clusterId: 0, centroid: { x: 15, y: 0, z: 0 }, extent: { x: 12, y: 2, z: 1.5 }, yawRad: 0, pointCount: 400, meanIntensity: 0, classHint: 'unknown' }],
    inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
  });

  it('places a pedestrian seen on a merged cluster at its own depth inside the cluster, scored by the camera alone', () => {
    // A 12 m × 2 m cluster ahead (x 9–21 m, a hedge merged with whatever stands in it). A pedestrian box 125 px
    // high (1.75 m class height, f = 1000 px) has its near face 14 m away by the pinhole, its centre (0.7 + 0.7) / 4 m
    // further: 14.35 m, inside the cluster's span along its ray (9.35–20.65 m once half the pedestrian's (L + W)/2 is
    // kept from each face), so it stays at 14.35 m (the entry face would put it at 9.35 m, 5 m off).
    const hedge = mergedHedge();
    const box = { xMin: 615, xMax: 665, yMin: 360 - 62.5, yMax: 360 + 62.5 };
    const { output } = update(frameOf(hedge, [camera(1, T0, [box], 'pedestrian')]), calibration, createFusionState('rig'), ctx(T0));
    const split = output.detections.find((d) => d.origin === 'camera-only');
    expect(split?.objectClass).toBe('pedestrian');
    expect(split?.x).toBeCloseTo(14.35, 6);
    expect(split?.y).toBeCloseTo(0, 6);
    // The cluster's LIDAR evidence is carried but does not vote: score = detector score × camera reliability ×
    // the in-range camera weight (0.9 + 0.1 · 14.35 / 60, the box matched the cluster by IoU) = 0.7484; with the
    // LIDAR voting, the noisy-OR would add 0.6 · 0.9: 1 − (1 − 0.7479)(1 − 0.54) = 0.884.
    expect(split?.evidence.map((e) => e.modality)).toEqual(['camera', 'lidar']);
    expect(split?.score).toBeCloseTo(0.9 * 0.9 * (0.9 + (0.1 * 14.35) / 60), 9);
  });

  it('keeps a pedestrian box whose own depth is well in front of a merged cluster at that depth, not inside the cluster', () => {
    // The same 12 m cluster (x 9–21 m); a pedestrian box 350 px high has its near face 5 m away by the pinhole, its
    // centre at 5.35 m (σ = 15 % = 0.80 m), far more than 2σ before the span's near end (9.35 m): an object in front
    // of the cluster, placed by the camera.
    const hedge = mergedHedge();
    const box = { xMin: 570, xMax: 710, yMin: 360 - 175, yMax: 360 + 175 };
    const { output } = update(frameOf(hedge, [camera(1, T0, [box], 'pedestrian')]), calibration, createFusionState('rig'), ctx(T0));
    const own = output.detections.find((d) => d.origin === 'camera-only');
    expect(own?.objectClass).toBe('pedestrian');
    expect(own?.x).toBeCloseTo(5.35, 6);
    expect(own?.evidence.map((e) => e.modality)).toEqual(['camera']);
  });

  it('places a far pedestrian box at the LIDAR fragment inside it closest to its own depth, within the gate', () => {
    // 43.75 px high: 1000 · 1.75 / 43.75 = 40 m to the near face by the pinhole, centre at 40.35 m, σ = 15 % = 6.05 m,
    // gate 2.5σ = 15.1 m around the face. Fragments (LIDAR = body frame): A at 36 m (pixel 637, 354: in the box,
    // 4 m from the face), B at 47 m (in the box and the gate, 7 m), E at 30 m (in the box and the gate, 10 m: spray
    // in front of it), C at 20 m (in the box, 20 m from the face: outside the gate), D at 36 m but 3 m aside
    // (pixel 557: outside the box).
    const box = { xMin: 629, xMax: 651, yMin: 360 - 21.875, yMax: 360 + 21.875 };
    const frag = (x: number, y: number, z: number) => ({ centroid: { x, y, z }, pointCount: 3 });
    const A = frag(36, 0.1, 0.2);
    const others = [frag(30, 0, 0), frag(47, 0, 0), frag(20, 0, 0), frag(36, 3, 0)];
    const place = (fragments: ReturnType<typeof frag>[], params: FusionParams = RAW_SCORES) =>
      update(frameOf({ ...lidar(1, T0, []), fragments }, [camera(1, T0, [box], 'pedestrian')]), calibration, createFusionState('rig'), { params, nowUs: T0 }).output.detections;
    const [onA] = place([...others, A]);
    // The near face at A's depth, the centre a quarter of (0.7 + 0.7) m behind it: 36.35 m, on the box centre's ray.
    expect(onA?.x).toBeCloseTo(36.35, 6);
    expect(onA?.y).toBeCloseTo(0, 6);
    expect(onA?.evidence.map((e) => e.modality)).toEqual(['camera', 'lidar']);
    // The LIDAR saw it: no in-range down-weighting, score = detector score × camera reliability.
    expect(onA?.score).toBeCloseTo(0.9 * 0.9, 9);
    // Without A: B (7 m from the face) before E (10 m), though E is nearer the sensor.
    expect(place(others)[0]?.x).toBeCloseTo(47.35, 6);
    // With fragments off, or none usable: the pinhole depth, camera evidence only.
    const off = place([...others, A], { ...RAW_SCORES, fragmentGateSigma: 0 })[0];
    expect(off?.x).toBeCloseTo(40.35, 6);
    expect(off?.evidence.map((e) => e.modality)).toEqual(['camera']);
    expect(place([frag(20, 0, 0), frag(36, 3, 0)])[0]?.x).toBeCloseTo(40.35, 6);
  });

  it('gives a far car\'s few-voxel rear stripe the camera box around it, and not a stripe at another depth', () => {
    // Camera box of a car 35 m ahead: 1.6 m tall → 1000 · 1.6 / 46 px = 34.8 m by its class height; 54 px wide.
    const box = { xMin: 613, xMax: 667, yMin: 337, yMax: 383 };
    // The LIDAR kept a 1.0 × 0.25 m stripe of its rear (0.3 m deep) at 33 m, 0.4 m above the camera axis: it projects
    // to 30 × 7.6 px inside the box (IoU 0.09 < minIou 0.1, the box's centre not on it, 9 % of the box covered).
    const stripe = (x: number, width: number, height: number, z: number): LidarObjects => ({
      ...header('lidar', 1, T0, 'lidar'),
      objects: [{ clusterId: 0, centroid: { x, y: 0, z }, extent: { x: 0.3, y: width, z: height }, yawRad: 0, pointCount: 6, meanIntensity: 0, classHint: 'unknown' }],
      inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
    });
    const near = update(frameOf(stripe(33, 1.0, 0.25, 0.4), [camera(1, T0, [box])]), calibration, createFusionState('rig'), ctx(T0));
    expect(near.output.detections).toHaveLength(1);
    const car = near.output.detections[0];
    expect(car?.evidence.map((e) => e.modality).sort()).toEqual(['camera', 'lidar']);
    expect(car?.objectClass).toBe('car');
    // Completed to a car's 4.5 m length away from the sensor: 33 + (4.5 − 0.3) / 2 = 35.1 m.
    expect(car?.x).toBeCloseTo(35.1, 6);
    // The same image footprint from a stripe at 20 m (0.6 × 0.15 m, 0.24 m up) is not that car: 20 m is 43 % short of 34.8 m.
    const other = update(frameOf(stripe(20, 0.6, 0.15, 0.24), [camera(1, T0, [box])]), calibration, createFusionState('rig'), ctx(T0));
    expect(other.output.detections).toHaveLength(2);
    expect(other.output.detections.find((d) => d.origin === 'camera-only')?.evidence.map((e) => e.modality)).toEqual(['camera']);
  });

  it('calls a 3 m tall "car" cluster a truck when the camera sees a car there, and unknown when only its geometry says car', () => {
    const tall: LidarObjects = {
      ...header('lidar', 1, T0, 'lidar'),
      objects: [{ clusterId: 0, centroid: { x: 20, y: 0, z: 0 }, extent: { x: 4, y: 2, z: 3 }, yawRad: 0, pointCount: 200, meanIntensity: 0, classHint: 'car' }],
      inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
    };
    // Its near face (x = 18 m, y ±1 m, z ±1.5 m) projects to u 584–696, v 277–443 (f = 1000 px).
    const seen = update(frameOf(tall, [camera(1, T0, [{ xMin: 585, xMax: 695, yMin: 280, yMax: 440 }], 'car')]), calibration, createFusionState('rig'), ctx(T0));
    expect(seen.output.detections.map((d) => d.objectClass)).toEqual(['truck']);
    const geometryOnly = update(frameOf(tall, []), calibration, createFusionState('rig'), ctx(T0));
    expect(geometryOnly.output.detections.map((d) => d.objectClass)).toEqual(['unknown']);
  });

  it('compensates ego motion: a camera 50 ms after the sweep sees a static object 1 m closer at 20 m/s', () => {
    const [object] = lidar(1, T0, [{ x: 20, y: 0 }]).objects.map((o) => ({ x: o.centroid.x, y: o.centroid.y, z: 0, length: 4, width: 2, height: 1.5, yawRad: 0 }));
    const cam = calibration.cameras.get('cam');
    if (object === undefined || cam === undefined) throw new Error('fixture');
    const p = projectIntoCamera([object], cam, 0.05, { vxBody: 20, vyBody: 0, yawRateRadS: 0 });
    // Box from 17 to 21 m ahead after the 1 m of ego travel: nearest face at 17 m gives the widest extent.
    expect(p.boxes[0]?.xMin).toBeCloseTo(640 - 1000 / 17, 6);
    expect(p.boxes[0]?.yMax).toBeCloseTo(360 + 750 / 17, 6);
    expect(p.depthM[0]).toBeCloseTo(19, 9);
  });

  it('runs the track life cycle: tentative → confirmed on the third hit, lost after 300 ms silent, deleted after 2 s; ids stay', () => {
    let state: FusionState = createFusionState('rig');
    const states: string[] = [];
    const ids = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const t = T0 + i * 100_000;
      const objects = i < 5 ? [{ x: 10 + i * 0.5, y: 2 }] : [];
      const r = update(frameOf(lidar(i, t, objects), []), calibration, state, ctx(t));
      state = r.state;
      states.push(r.output.tracks[0]?.state ?? 'none');
      for (const tr of r.output.tracks) ids.add(tr.trackId);
    }
    expect(ids).toEqual(new Set([1]));
    expect(states.slice(0, 5)).toEqual(['tentative', 'tentative', 'confirmed', 'confirmed', 'confirmed']);
    // Last update at frame 4: lost once more than 300 ms passed (frame 8), deleted after 2 s (frame 25).
    expect(states.slice(5, 8)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    expect(states[8]).toBe('lost');
    expect(states[24]).toBe('lost');
    expect(states[25]).toBe('none');
  });

  it('keeps track ids across a checkpoint round trip', () => {
    let state = createFusionState('rig');
    for (let i = 0; i < 4; i++) state = update(frameOf(lidar(i, T0 + i * 100_000, [{ x: 10 + i, y: 0 }, { x: 30, y: -5 }]), []), calibration, state, ctx(T0)).state;
    const restored = deserializeFusionState(serializeFusionState(state));
    const t = T0 + 400_000;
    const a = update(frameOf(lidar(4, t, [{ x: 14, y: 0 }, { x: 30, y: -5 }]), []), calibration, state, ctx(t));
    const b = update(frameOf(lidar(4, t, [{ x: 14, y: 0 }, { x: 30, y: -5 }]), []), calibration, restored, ctx(t));
    expect(b.output.tracks.map((x) => [x.trackId, x.state])).toEqual(a.output.tracks.map((x) => [x.trackId, x.state]));
    expect(b.output.tracks.map((x) => x.trackId).sort()).toEqual([1, 2]);
  });

  it('flags a missing camera and lowers the confidence of what only the LIDAR sees', () => {
    const box = { xMin: 640 - 1000 / 8, xMax: 640 + 1000 / 8, yMin: 360 - 750 / 8, yMax: 360 + 750 / 8 };
    const both = update(frameOf(lidar(1, T0, [{ x: 10, y: 0 }]), [camera(1, T0, [box])]), calibration, createFusionState('rig'), ctx(T0));
    const frame = frameOf(lidar(1, T0, [{ x: 10, y: 0 }]), []);
    const withoutCamera = update({ ...frame, presence: { ...frame.presence, 'camera:cam': 'missing' } }, calibration, createFusionState('rig'), ctx(T0));
    expect(both.output.counts.cameraMatched).toBe(1);
    expect(withoutCamera.output.missingModalities).toEqual(['camera']);
    // Noisy-OR by hand: LIDAR 0.6 × 0.9 = 0.54; with the camera 1 − (1 − 0.54)(1 − 0.81) = 0.9126.
    expect(withoutCamera.output.detections[0]?.score).toBeCloseTo(0.54, 9);
    expect(both.output.detections[0]?.score).toBeCloseTo(0.9126, 9);
  });
});

describe('camera score calibration', () => {
  const det = (scores: readonly number[], cls: 'car' | 'pedestrian' = 'pedestrian'): CameraDetections => ({
    ...camera(1, T0, scores.map(() => ({ xMin: 600, yMin: 300, xMax: 620, yMax: 360 })), cls),
    detections: scores.map((score) => ({ box: { xMin: 600, yMin: 300, xMax: 620, yMax: 360 }, objectClass: cls, label: cls, score })),
  });

  it('maps a score through its class\'s Platt scaling σ(a·logit(s) + b) and leaves other classes and an empty table alone', () => {
    const calibrated = calibrateCameraScores(det([0.5, 0.8]), { pedestrian: { a: 2, b: 1 } });
    // By hand: logit(0.5) = 0 → σ(1) = 0.731059; logit(0.8) = ln 4 = 1.386294 → σ(2·1.386294 + 1) = σ(3.772589) = 0.977524.
    expect(calibrated.detections.map((d) => d.score)).toEqual([expect.closeTo(0.731059, 5), expect.closeTo(0.977524, 5)]);
    expect(calibrateCameraScores(det([0.5], 'car'), { pedestrian: { a: 2, b: 1 } }).detections[0]?.score).toBe(0.5);
    const input = det([0.3]);
    expect(calibrateCameraScores(input, {})).toBe(input);
  });

  it('confirms a pedestrian the camera alone keeps seeing at a raw 0.3 once its class is calibrated, and not without', () => {
    // A pedestrian box 85 px high at f = 1000 px, inside LIDAR range with no cluster there. By hand: raw 0.3 →
    // score 0.3 × in-range weight (0.9 + 0.1 · 20/60 = 0.933) × reliability 0.9 = 0.252, under the tracker's 0.4
    // confirmation score for ever; with a = 3, b = 3: σ(3 · logit(0.3) + 3) = σ(0.458) = 0.613 → 0.514, confirmed
    // on the third hit.
    const box = { xMin: 630, xMax: 650, yMin: 360 - 42.5, yMax: 360 + 42.5 };
    const run = (cameraScoreCalibration: FusionParams['cameraScoreCalibration']): string[] => {
      let state: FusionState = createFusionState('rig');
      const states: string[] = [];
      for (let i = 0; i < 6; i++) {
        const t = T0 + i * 100_000;
        const frame = frameOf(lidar(i, t, []), [{ ...det([0.3]), ...header('cam', i, t, 'cam'), detections: [{ box, objectClass: 'pedestrian', label: 'pedestrian', score: 0.3 }] }]);
        const r = update(frame, calibration, state, { params: { ...RAW_SCORES, cameraScoreCalibration }, nowUs: t + 20_000 });
        state = r.state;
        states.push(r.output.tracks[0]?.state ?? 'none');
      }
      return states;
    };
    expect(run({})).not.toContain('confirmed');
    expect(run({ pedestrian: { a: 3, b: 3 } }).slice(2)).toEqual(['confirmed', 'confirmed', 'confirmed', 'confirmed']);
  });

  it('floors a dark or noisy camera\'s reliability at cameraReliabilityFloor × (1 − blockage), so a covered lens still counts for little', () => {
    const params = { cameraScoreCalibration: {}, cameraReliabilityFloor: 0.5 };
    const at = (reliability: number, blockage: number) => cameraForFusion({ ...det([0.6]), reliability, quality: { blur: 0, exposure: -0.7, blockage } }, params).reliability;
    expect(at(0.25, 0)).toBe(0.5); // night: 0.25 → the floor
    expect(at(0.7, 0)).toBe(0.7); // daylight: above the floor, as reported
    expect(at(0.05, 0.8)).toBeCloseTo(0.1, 12); // 80 % covered: floor 0.5 × 0.2 = 0.1
    expect(at(0.25, 1)).toBe(0.25); // fully covered: no floor, the reported value stays
  });
});
